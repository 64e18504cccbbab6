"""CI systems that deploy into an account through OIDC federation, read from IAM role trust.

A role trusting `token.actions.githubusercontent.com` with `sub: repo:<org>/<repo>:...` lets that
GitHub repository's Actions workflows assume it; GitLab (`project_path:<group>/<project>:...`) and
Bitbucket Pipelines (the subject holds repository UUIDs, no name) likewise. The IAM collector keeps
the subjects as `trusted_principals` entries `sub:<subject>`. A stack unit with no linked repository
takes source and build from the subject whose repository is named like the stack (or named in its
tags), marked inferred.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from audit.analysis.attribution import name_tokens
from audit.analysis.frames import Inventory, as_list, table

# trust_kind -> (source, build)
PROVIDERS = {"github-oidc": ("github", "github-actions"), "gitlab-oidc": ("gitlab", "gitlab-ci"),
             "bitbucket-oidc": ("bitbucket", "bitbucket-pipelines")}


@dataclass(frozen=True)
class Subject:
    """One OIDC subject a role trusts: provider, repository path (None: no name, or a wildcard)."""

    role: str
    source: str
    build: str
    repo: str | None

    @property
    def tail(self) -> str | None:
        return self.repo.rsplit("/", 1)[-1] if self.repo else None


def _repo_of(kind: str, subject: str) -> str | None:
    """`repo:org/name:ref:...` (GitHub), `project_path:group/name:...` (GitLab) -> the path, else None."""
    prefix = {"github-oidc": "repo:", "gitlab-oidc": "project_path:"}.get(kind)
    if not prefix or not subject.startswith(prefix):
        return None
    path = subject[len(prefix):].split(":", 1)[0]
    return None if not path or "*" in path or "?" in path else path


def subjects(inv: Inventory) -> dict[str, list[Subject]]:
    """account id -> the OIDC subjects its roles trust (wildcard subjects carry no repository)."""
    roles = table(inv, "iam_roles")
    out: dict[str, list[Subject]] = {}
    for account, name, kind, principals in zip(roles["account_id"], roles["name"], roles["trust_kind"],
                                               roles["trusted_principals"], strict=True):
        if kind not in PROVIDERS:
            continue
        source, build = PROVIDERS[kind]
        subs = [str(p)[4:] for p in as_list(principals) if str(p).startswith("sub:")] or [""]
        out.setdefault(account, []).extend(Subject(name, source, build, _repo_of(kind, s)) for s in subs)
    return out


def match(found: list[Subject], stack: str, client: str | None, tags: object) -> Subject | None:
    """The one subject whose repository the stack is named after (or its tags name), else None."""
    tag_values = ""
    if isinstance(tags, str) and tags:
        try:
            data = json.loads(tags)
            tag_values = " ".join(str(v).lower() for v in data.values()) if isinstance(data, dict) else ""
        except ValueError:
            tag_values = ""
    stack_toks = name_tokens(stack, client)
    hits = {s for s in found if s.tail and (
        (s.repo and s.repo.lower() in tag_values) or
        (stack_toks and name_tokens(s.tail, client) and name_tokens(s.tail, client) <= stack_toks))}
    return next(iter(hits)) if len({(s.source, s.repo) for s in hits}) == 1 else None
