"""The demo consultancy as plain data: clients, their accounts, teams, variants and baseline.

Everything here is a pure function of (number of clients, seed, regions): no AWS, no clock. The
seeding code (`populate.py`), the history (`history.py`), the git repositories (`gitrepos.py`) and the
config files all read this one description, so the fleet is the same for the same seed.

The first four clients are fixed so that even a 4-client fleet covers all four teams, both faults,
the blue/green drift, the unmatched pipeline source and the XSS-laden names.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

TEAMS = ("web", "data", "java", "ops")
ORG = "consultancy"  # GitHub organisation of the teams' repositories
AUDIT_ROLE = "CicdAuditReadOnly"
TOOLING_ACCOUNT = "000000000000"  # the consultancy's own account (never crawled)
XSS = "<script>alert(1)</script>"
XSS_NAME = f"legacy-batch \"nightly\" 'ops' {XSS}"  # an ASG name the report must show as text
UNMATCHED_REPO = "legacy-admin"  # a pipeline source that is not in repos.yaml

# Fictional client names (never real companies' accounts).
_NAMES = [
    "acme-retail", "globex-logistics", "initech-health", "umbrella-pharma", "stark-energy",
    "wayne-finance", "wonka-foods", "hooli-media", "soylent-agri", "tyrell-robotics",
    "cyberdyne-systems", "oscorp-labs", "vandelay-imports", "pied-piper", "massive-dynamic",
    "gringotts-bank", "duff-brewing", "monarch-travel", "nakatomi-trading", "aperture-science",
    "black-mesa", "blue-sun", "buy-n-large", "dunder-mifflin", "gekko-capital", "kramerica",
    "los-pollos", "prestige-worldwide", "sterling-cooper", "virtucon", "weyland-mining",
    "zorg-industries", "bluth-homes", "cogswell-cogs", "spacely-sprockets", "strickland-propane",
    "rich-industries", "mom-corp", "planet-express", "krusty-burger",
]

# Team applications: repository name -> what it is.
WEB_REPOS = ("storefront-web", "booking-portal")
DATA_REPOS = ("ingest-service", "reporting-api")
JAVA_REPOS = ("billing-api", "claims-service")
OPS_REPOS = ("static-site",)
ALL_REPOS = WEB_REPOS + DATA_REPOS + JAVA_REPOS + OPS_REPOS
REPO_TEAM = {**{r: "web" for r in WEB_REPOS}, **{r: "data" for r in DATA_REPOS},
             **{r: "java" for r in JAVA_REPOS}, **{r: "ops" for r in OPS_REPOS}}


@dataclass(frozen=True)
class WebApp:
    repo: str
    manual_approval: bool
    blue_green: bool


@dataclass(frozen=True)
class DataApp:
    repo: str
    source: str  # codecommit | github
    http_api: bool  # an extra API Gateway HTTP API beside the stack's REST API


@dataclass(frozen=True)
class JavaApp:
    repo: str
    kind: str  # beanstalk | codedeploy


@dataclass(frozen=True)
class BucketSettings:
    """How a delivery bucket is set up: what the crawl reads back (GetBucketVersioning,
    GetBucketEncryption, GetPublicAccessBlock) and an onboarding template would set."""

    versioning: str = "Enabled"  # Enabled | Disabled (never enabled)
    encryption: str = "AES256"  # the default rule's SSEAlgorithm: AES256 | aws:kms
    public_access_block: bool = True  # all four flags on (False: no configuration at all)


@dataclass(frozen=True)
class Baseline:
    """The implicit onboarding checklist; most accounts have most items."""

    github_oidc: bool
    artifacts_bucket: bool
    ops_access_role: bool
    alarms: bool
    cdk_bootstrap: bool
    artifacts_settings: BucketSettings = BucketSettings()  # most accounts: the standard set-up


@dataclass(frozen=True)
class ClientSpec:
    index: int
    name: str
    account_id: str
    home_region: str
    teams: tuple[str, ...]
    tags: dict[str, str]
    baseline: Baseline
    web: WebApp | None = None
    data: DataApp | None = None
    java: JavaApp | None = None
    ops: bool = False
    legacy_admin: bool = False  # second web pipeline whose repository is not in repos.yaml
    serverless_framework: bool = False
    stackset: bool = False


@dataclass(frozen=True)
class FleetModel:
    seed: int
    regions: tuple[str, ...]
    clients: tuple[ClientSpec, ...]
    assume_role_denied: frozenset[str]
    denied: frozenset[tuple[str, str, str]]  # (account_id, region, service)
    repos: tuple[str, ...] = field(default=ALL_REPOS)

    def client(self, name: str) -> ClientSpec:
        return next(c for c in self.clients if c.name == name)

    def repo_clients(self) -> dict[str, list[str]]:
        """Which clients each repository is deployed to (through a pipeline or by hand)."""
        out: dict[str, list[str]] = {r: [] for r in self.repos}
        for c in self.clients:
            for app in (c.web, c.data, c.java):
                if app is not None:
                    out[app.repo].append(c.name)
            if c.ops:
                out["static-site"].append(c.name)
        return out


# Fixed team mixes of the first clients, then drawn from these.
_FIRST = [("web", "data"), ("java", "ops"), ("web", "java", "data"), ("data", "ops")]
_MIXES = [("web",), ("data",), ("web", "data"), ("java",), ("web", "ops"), ("data", "java"),
          ("web", "data", "ops"), ("java", "ops"), ("web", "java"), ("data", "ops"), ("web", "data", "java")]


def _account_ids(rng: random.Random, n: int) -> list[str]:
    ids: list[str] = []
    seen = {"123456789012", TOOLING_ACCOUNT}
    while len(ids) < n:
        acct = str(rng.randrange(100_000_000_000, 999_999_999_999))
        if acct not in seen:
            seen.add(acct)
            ids.append(acct)
    return ids


def _name(i: int) -> str:
    base = _NAMES[i % len(_NAMES)]
    return base if i < len(_NAMES) else f"{base}-{i // len(_NAMES) + 1}"


def build_model(clients: int = 24, *, seed: int = 42,
                regions: tuple[str, ...] | list[str] = ("eu-west-1", "us-east-1")) -> FleetModel:
    """The whole fleet description for `clients` clients, deterministic for `seed`."""
    if clients < 1:
        raise ValueError("a fleet needs at least one client")
    regions = tuple(regions)
    if not regions:
        raise ValueError("a fleet needs at least one region")
    rng = random.Random(seed)
    ids = _account_ids(rng, clients)
    specs: list[ClientSpec] = []
    blue_green_done = False
    for i in range(clients):
        teams = _FIRST[i] if i < len(_FIRST) else rng.choice(_MIXES)
        home = regions[1] if (len(regions) > 1 and i % 3 == 2) else regions[0]
        draw = rng.random
        web = data = java = None
        if "web" in teams:
            blue = not blue_green_done and i >= 2
            blue_green_done = blue_green_done or blue
            repo = WEB_REPOS[1] if (blue or i % 4 == 3) else WEB_REPOS[0]
            web = WebApp(repo=repo, manual_approval=(i == 0 or draw() < 0.3), blue_green=blue)
        if "data" in teams:
            data = DataApp(repo=DATA_REPOS[0] if i % 2 == 0 or i < 4 else DATA_REPOS[1],
                           source="codecommit" if i % 2 == 0 else "github", http_api=(i % 5 == 3))
        if "java" in teams:
            kind = "beanstalk" if i == 1 else "codedeploy" if i == 2 else rng.choice(["beanstalk", "codedeploy"])
            java = JavaApp(repo=JAVA_REPOS[0] if kind == "beanstalk" else JAVA_REPOS[1], kind=kind)
        # Baseline: item present in most accounts; client 0 has everything, a few miss things.
        full = i == 0
        baseline = Baseline(
            github_oidc=full or draw() < 0.85,
            artifacts_bucket=full or draw() < 0.9,
            ops_access_role=full or draw() < 0.8,
            alarms=full or draw() < 0.75,
            cdk_bootstrap=full or draw() < 0.4,
        )
        tier = rng.choice(["gold", "silver", "bronze"])
        tags = {"tier": tier, "industry": _NAMES[i % len(_NAMES)].split("-")[-1],
                "contract": f"C-{2024 + i % 3}-{100 + i:03d}"}
        if i == 1:
            tags["display_name"] = f"Globex \"Logistics\" & O'Neil {XSS}"
        specs.append(ClientSpec(
            index=i, name=_name(i), account_id=ids[i], home_region=home, teams=tuple(teams), tags=tags,
            baseline=baseline, web=web, data=data, java=java, ops="ops" in teams,
            legacy_admin=(i == 0 and web is not None),
            serverless_framework=(i == 0 and data is not None),
            stackset=(i == 0),
        ))
    denied_client = specs[3] if clients >= 4 else specs[-1]
    assume_denied = frozenset({denied_client.account_id}) if clients >= 2 else frozenset()
    specs = _vary_artifacts_settings(specs, seed, skip=assume_denied)
    lambda_client = specs[0]
    denied = frozenset({(lambda_client.account_id, lambda_client.home_region, "lambda")}) \
        if lambda_client.data is not None else frozenset()
    return FleetModel(seed=seed, regions=regions, clients=tuple(specs),
                      assume_role_denied=assume_denied, denied=denied)


def _vary_artifacts_settings(specs: list[ClientSpec], seed: int, skip: frozenset[str]) -> list[ClientSpec]:
    """Two clients' artifacts buckets differ from the standard set-up, picked per seed from the
    crawlable clients after the first (an own random source: the rest of the fleet stays as it was):
    one encrypts with aws:kms, one (an older, hand-made onboarding) never enabled versioning and has
    no public access block."""
    candidates = [s for s in specs if s.index > 0 and s.baseline.artifacts_bucket and s.account_id not in skip]
    picked = random.Random(f"{seed}:artifacts-settings").sample(candidates, min(2, len(candidates)))
    variants = (BucketSettings(encryption="aws:kms"), BucketSettings(versioning="Disabled", public_access_block=False))
    changed = {s.index: replace(s, baseline=replace(s.baseline, artifacts_settings=v))
               for s, v in zip(picked, variants, strict=False)}
    return [changed.get(s.index, s) for s in specs]
