"""Session-wide test setup: no real AWS, no network, and the shared demo fleet.

- Dummy AWS credentials and region for the whole session; the AWS config/credentials files point at
  empty temp files and instance metadata is disabled, so nothing can reach a real account.
- `fleet`: a small demo fleet (4 clients, 2 regions, all four teams, both faults) on an in-process
  moto server bound to 127.0.0.1, with its configs and git repositories in a temp dir.
- `fleet_snapshot`: that fleet crawled and scanned into a temp inventory (one snapshot).

moto keeps state process-wide: never use `moto.mock_aws` in tests (it resets every backend,
including the session fleet's); seed your own accounts through an in-process server instead.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

_AWS_DIR = Path(tempfile.mkdtemp(prefix="cicd-audit-tests-aws-"))
(_AWS_DIR / "config").write_text("")
(_AWS_DIR / "credentials").write_text("")
for _var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL", "AWS_ROLE_ARN",
             "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
             "AWS_CONTAINER_CREDENTIALS_FULL_URI", "MOTO_ACCOUNT_ID"):
    os.environ.pop(_var, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing-base-key", AWS_SECRET_ACCESS_KEY="testing-base-secret",
    AWS_DEFAULT_REGION="us-east-1", AWS_REGION="us-east-1",
    AWS_CONFIG_FILE=str(_AWS_DIR / "config"), AWS_SHARED_CREDENTIALS_FILE=str(_AWS_DIR / "credentials"),
    AWS_EC2_METADATA_DISABLED="true",
    NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost",
)

FLEET_SEED = 42
FLEET_CLIENTS = 4


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The small demo fleet shared by the whole session (stopped at the end)."""
    import logging

    from audit.demo.fleet import start_fleet

    for noisy in ("werkzeug", "moto"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    out = tmp_path_factory.mktemp("fleet")
    running = start_fleet(FLEET_CLIENTS, seed=FLEET_SEED, out=out)
    try:
        yield running
    finally:
        running.stop()


@dataclass
class FleetSnapshot:
    """The session fleet crawled and scanned: where the snapshot is, and what each step returned."""

    fleet: Any
    inventory: Path
    snapshot_dir: Path
    crawl: Any
    scan: Any


@pytest.fixture(scope="session")
def fleet_snapshot(fleet: Any, tmp_path_factory: pytest.TempPathFactory) -> FleetSnapshot:
    """Crawl + scan the session fleet once."""
    from audit.aws.crawler import crawl
    from audit.config import load_accounts, load_repos, load_surveys
    from audit.options import CrawlOptions, ScanOptions
    from audit.repos.scan import scan_repos

    inventory = tmp_path_factory.mktemp("fleet-inventory")
    crawled = crawl(load_accounts(fleet.accounts_file), inventory,
                    CrawlOptions(endpoint_url=fleet.endpoint_url, progress=False))
    scanned = None
    if fleet.repos_file is not None:
        scanned = scan_repos(load_repos(fleet.repos_file), inventory, ScanOptions(base_dir=fleet.out, progress=False),
                             surveys=load_surveys(fleet.survey_dir))
    return FleetSnapshot(fleet=fleet, inventory=inventory, snapshot_dir=Path(crawled.snapshot_dir),
                         crawl=crawled, scan=scanned)
