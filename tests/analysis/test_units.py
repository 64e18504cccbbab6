"""Units joined from pipelines, stacks and resources, with hand-derived fingerprints and teams."""

from __future__ import annotations

from audit.analysis.units import build_units
from audit.analysis.vocab import fingerprint, normalise_name

from .inventory import FP_DATA, FP_MANUAL_ECS, FP_MANUAL_FN, FP_SITE, FP_WEB, FP_WEB_ROLLING, REGION, A, C, D


def test_units_fingerprints_kinds_and_teams(inv):
    units = build_units(inv).set_index("unit_id")
    assert len(units) == 7  # 4 pipelines + 3 manual; CDKToolkit and the pipelines' stacks are no units
    expected = {
        f"{A}/{REGION}/pipeline/web-alpha": ("pipeline", "web", FP_WEB),
        f"222222222222/{REGION}/pipeline/web-bravo": ("pipeline", "web", FP_WEB),
        f"{C}/{REGION}/pipeline/web-charlie": ("pipeline", "web", FP_WEB_ROLLING),
        f"{C}/{REGION}/pipeline/data-etl": ("pipeline", "data", FP_DATA),  # team via repo link (charlie has 2)
        f"{A}/{REGION}/manual/alpha-site": ("manual", "web", FP_SITE),
        f"{D}/{REGION}/manual/legacy": ("manual", "ops", FP_MANUAL_ECS),
        f"{D}/{REGION}/manual/cron-job": ("manual", "ops", FP_MANUAL_FN),
    }
    got = {uid: (r.kind, r.team, r.fingerprint) for uid, r in units.iterrows()}
    assert got == expected
    etl = units.loc[f"{C}/{REGION}/pipeline/data-etl"]
    assert (etl.repo, etl.stack_name, etl.iac, etl.family) == ("etl-repo", "etl-stack", "sam", "zip -> lambda")


def test_fingerprint_shape_and_name_normalisation():
    assert fingerprint("github", "codebuild", "image", "cloudformation", "ecs", "blue-green",
                       "manual-approval") == FP_WEB
    assert normalise_name("acme-retail-deploy-123456789012-eu-west-1", "acme-retail") == \
        "{client}-deploy-{account}-{region}"
    assert normalise_name("acmeretail-artifacts-3f9a2b1c4d", "acme-retail") == "{client}-artifacts-{n}"
    assert normalise_name("ec2-builder") == "ec2-builder"


def test_empty_inventory_gives_empty_units():
    units = build_units({})
    assert units.empty and "fingerprint" in units.columns
