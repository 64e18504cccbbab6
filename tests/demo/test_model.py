"""The fleet description: deterministic per seed, every team and fault present even when small."""

from __future__ import annotations

import pytest

from audit.config import Client
from audit.demo.model import TEAMS, build_model


def test_same_seed_same_fleet_other_seed_other_accounts():
    a, b = build_model(24, seed=7), build_model(24, seed=7)
    assert a == b
    other = build_model(24, seed=8)
    assert {c.account_id for c in a.clients}.isdisjoint({c.account_id for c in other.clients})
    assert [c.name for c in a.clients] == [c.name for c in other.clients]


@pytest.mark.parametrize("n", [4, 24, 40, 90])
def test_fleet_is_valid_and_covers_everything(n):
    model = build_model(n, seed=42)
    ids = [c.account_id for c in model.clients]
    names = [c.name for c in model.clients]
    assert len(set(ids)) == n and len(set(names)) == n
    for c in model.clients:
        Client(name=c.name, account_id=c.account_id, teams=list(c.teams), tags=c.tags)  # valid config
        assert c.home_region in model.regions
    reachable = [c for c in model.clients if c.account_id not in model.assume_role_denied]
    assert {t for c in reachable for t in c.teams} == set(TEAMS)
    assert len(model.assume_role_denied) == 1 and len(model.denied) == 1
    [(acct, region, service)] = model.denied
    assert service == "lambda" and acct not in model.assume_role_denied
    assert model.client(next(c.name for c in model.clients if c.account_id == acct)).data is not None
    assert sum(1 for c in model.clients if c.web and c.web.blue_green) == 1  # drift inside the web team
    assert any(c.legacy_admin for c in model.clients)
    assert {c.java.kind for c in model.clients if c.java} == {"beanstalk", "codedeploy"}


def test_baseline_is_common_but_not_universal():
    model = build_model(24, seed=42)
    for item in ("github_oidc", "artifacts_bucket", "ops_access_role", "alarms"):
        share = sum(getattr(c.baseline, item) for c in model.clients) / 24
        assert 0.6 <= share < 1.0, item


def test_rejects_empty_fleets():
    with pytest.raises(ValueError):
        build_model(0)
    with pytest.raises(ValueError):
        build_model(3, regions=())
