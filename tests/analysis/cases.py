"""Hand-built inventories for the hard cases, on top of inventory.py's five clients (whose teams give
the patterns and names to compare with); right answers worked out by hand in test_cases.py.

    foxtrot (web, data)  a hand-made, untagged ECS service `web-svc` in cluster `web` (web's names, web's
                         family), a hand-made function `etl` (data's), and a Beanstalk environment no
                         team's pattern explains (stays unattributed)
    golf    (api)        stack orders-api-prod (Lambda) deployed by GitHub Actions through an OIDC role
                         trusting repo:acme/orders-api; stack billing (ECS) by GitLab CI, its repository
                         named in a stack tag; stack reports (Lambda) with only a wildcard subject
    hotel   (web)        pipeline shop: CodeDeployToECS to a group whose ecsServices is shop-cluster/storefront
    india   (java)       a Beanstalk environment whose configuration could not be read
    charlie (web, data)  + an untagged CI user with a key and a CodeDeploy group data-etl deploys
    juliet  (ml)         pipeline ml-train whose executions carry commit messages and commit times
"""

from __future__ import annotations

import json

import pandas as pd

from audit.store.schema import TABLES, to_arrow

from .inventory import REGION, inventory_tables

F, G, H, IN, J = "666666666666", "777777777777", "888888888888", "999999999999", "101010101010"
NAMES = {F: "foxtrot", G: "golf", H: "hotel", IN: "india", J: "juliet", "333333333333": "charlie"}


def _row(account: str, name: str, arn: str, managed_by: str | None = None, tags: dict | None = None, **extra) -> dict:
    return {"account_id": account, "client": NAMES[account], "region": REGION, "arn": arn, "name": name,
            "tags": json.dumps(tags or {}), "managed_by": managed_by, **extra}


def _svc(account: str, cluster: str, name: str, controller: str = "ECS", managed_by: str | None = None) -> dict:
    return _row(account, name, f"arn:aws:ecs:{REGION}:{account}:service/{cluster}/{name}", managed_by,
                cluster=cluster, deployment_controller=controller, image_registry="ecr")


def _fn(account: str, name: str, managed_by: str | None = None) -> dict:
    return _row(account, name, f"arn:aws:lambda:{REGION}:{account}:function:{name}", managed_by,
                runtime="python3.12", package_type="Zip")


def _stack(account: str, name: str, tags: dict | None = None) -> dict:
    return _row(account, name, f"arn:aws:cloudformation:{REGION}:{account}:stack/{name}/1", None, tags,
                iac_tool="cloudformation", status="CREATE_COMPLETE")


def _role(account: str, name: str, kind: str, subjects: list[str]) -> dict:
    return _row(account, name, f"arn:aws:iam::{account}:role/{name}", trust_kind=kind,
                trusted_principals=[f"sub:{s}" for s in subjects])


def case_tables() -> dict[str, list[dict]]:
    t = inventory_tables()
    t["accounts"] += [{"account_id": a, "client": c, "teams": teams, "status": "ok", "regions": [REGION]}
                      for a, c, teams in [(F, "foxtrot", ["web", "data"]), (G, "golf", ["api"]),
                                          (H, "hotel", ["web"]), (IN, "india", ["java"]), (J, "juliet", ["ml"])]]
    # foxtrot: made by hand in the console, no tags, two teams
    t["ecs_services"] += [_svc(F, "web", "web-svc")]
    t["lambda_functions"] += [_fn(F, "etl")]
    t["beanstalk_environments"] = [
        _row(F, "legacy-portal", f"arn:aws:elasticbeanstalk:{REGION}:{F}:environment/portal/legacy-portal",
             application_name="portal", option_names=["aws:autoscaling:launchconfiguration:InstanceType"]),
        # india: DescribeConfigurationSettings refused, so nothing is known of its deployment policy
        _row(IN, "claims-prod", f"arn:aws:elasticbeanstalk:{REGION}:{IN}:environment/claims/claims-prod",
             application_name="claims", option_names=None)]
    # golf: stacks deployed from GitHub Actions / GitLab CI through OIDC roles
    t["stacks"] += [_stack(G, "orders-api-prod"), _stack(G, "billing", {"repository": "grp/billing-service"}),
                    _stack(G, "reports")]
    t["lambda_functions"] += [_fn(G, "orders-handler", "orders-api-prod"), _fn(G, "reports-job", "reports")]
    t["ecs_services"] += [_svc(G, "billing", "billing", managed_by="billing")]
    t["iam_roles"] += [_role(G, "gh-deploy", "github-oidc", ["repo:acme/orders-api:ref:refs/heads/main"]),
                       _role(G, "gitlab-deploy", "gitlab-oidc",
                             ["project_path:grp/billing-service:ref_type:branch:ref:main"]),
                       _role(G, "gh-any", "github-oidc", ["repo:acme/*:ref:refs/heads/main"])]
    # hotel: CodeDeployToECS; the group names the service (ecsServices), not the repository
    t["pipelines"].append(_row(H, "shop", f"arn:aws:codepipeline:{REGION}:{H}:shop",
                               source_provider="CodeStarSourceConnection", source_repository="org/shop-frontend",
                               source_branch="main", build_providers=["CodeBuild"],
                               deploy_providers=["CodeDeployToECS"], manual_approvals=0))
    t["pipeline_actions"] = [{"account_id": H, "client": "hotel", "region": REGION, "pipeline_name": "shop",
                              "stage": "Deploy", "stage_index": 2, "action": "Deploy", "category": "Deploy",
                              "owner": "AWS", "provider": "CodeDeployToECS",
                              "configuration": json.dumps({"ApplicationName": "AppECS-shop",
                                                           "DeploymentGroupName": "DgpECS-shop"})}]
    t["codedeploy_groups"] = [_row(H, "DgpECS-shop", f"arn:aws:codedeploy:{REGION}:{H}:deploymentgroup:AppECS-shop/"
                                   "DgpECS-shop", application_name="AppECS-shop", compute_platform="ECS",
                                   deployment_type="BLUE_GREEN", deployment_config="CodeDeployDefault.ECSAllAtOnce",
                                   auto_rollback=True, rollback_alarms=["shop-5xx"], target_kind="ecs",
                                   ecs_services=["shop-cluster/storefront"])]
    t["ecs_services"] += [_svc(H, "shop-cluster", "storefront", "CODE_DEPLOY")]
    # charlie (web, data): an untagged CI user nobody's unit owns; a CodeDeploy group data-etl deploys
    t["iam_users"] = [_row("333333333333", "jenkins-ci", "arn:aws:iam::333333333333:user/jenkins-ci",
                           access_key_count=1, active_key_count=1, oldest_key_age_days=200)]
    next(p for p in t["pipelines"] if p["name"] == "data-etl")["codedeploy_targets"] = ["etl/etl-deploy"]
    t["codedeploy_groups"].append(_row("333333333333", "etl-deploy", f"arn:aws:codedeploy:{REGION}:333333333333:"
                                       "deploymentgroup:etl/etl-deploy", application_name="etl",
                                       compute_platform="Server", deployment_type="IN_PLACE", auto_rollback=False)
                                 )
    # juliet: no survey calendar; the commit messages say which deploys were hotfixes
    t["pipelines"].append(_row(J, "ml-train", f"arn:aws:codepipeline:{REGION}:{J}:ml-train",
                               source_provider="CodeCommit", source_repository="ml-train",
                               build_providers=["CodeBuild"], deploy_providers=["ECS"], manual_approvals=0))
    for i, (msg, end, commit) in enumerate([
            ("release: sprint 14\n\nall stories of sprint 14", "2026-01-16T16:00:00Z", "2026-01-16T10:00:00Z"),
            ("hotfix: model path is null", "2026-01-19T09:00:00Z", "2026-01-19T07:00:00Z"),
            ("fix!: drop the v1 scoring API", "2026-01-21T12:00:00Z", "2026-01-21T08:00:00Z"),
            ("chore: bump dependencies", "2026-01-22T12:00:00Z", None)]):
        t["pipeline_executions"].append({
            "account_id": J, "client": "juliet", "region": REGION, "pipeline_name": "ml-train",
            "execution_id": f"j{i}", "status": "Succeeded", "start_time": end, "end_time": end,
            "source_revision": f"c{i}", "source_revision_time": commit, "source_revision_summary": msg})
    return t


def case_inventory() -> dict[str, pd.DataFrame]:
    """The tables as the store returns them (declared types), keeping columns a newer crawl adds
    (codedeploy_groups.ecs_services, pipeline_executions.source_revision_summary) if not declared yet."""
    out = {}
    for name, rows in case_tables().items():
        declared = set(TABLES[name].column_names)
        frame = to_arrow(name, [{k: v for k, v in r.items() if k in declared} for r in rows]).to_pandas()
        for col in sorted({k for r in rows for k in r} - declared):
            frame[col] = [r.get(col) for r in rows]
        out[name] = frame
    return out
