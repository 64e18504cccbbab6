"""Small, in-process additions to moto so backdated history reads back the way AWS returns it.

- `FleetExecution`: a CodePipeline execution with its own times, status, trigger and source
  revision (moto's executions always start "now", succeed, and have no revisions).
- CodeBuild `batch_get_builds`: moto marks every build SUCCEEDED with a random end time when it is
  read; builds the fleet wrote complete (`buildComplete: true`) are returned as written.
- CodeBuild `ListBuilds`: moto returns every id in one page, oldest project first. In fleet account
  regions (`fleet_paging`) it answers as AWS does: newest first, pages of 100 with `nextToken`, and
  `sortOrder` together with `nextToken` is rejected with InvalidInputException "Sort order can't be
  specified when passing a nextToken" (https://docs.aws.amazon.com/codebuild/latest/APIReference/API_ListBuilds.html).
- CodeDeploy `_deployment_info`: moto leaves `rollbackInfo` and `errorInformation` empty; deployments
  the fleet wrote carry them.
- CodeDeploy `BatchGetDeploymentGroups`: not implemented by moto; answered in fleet account regions
  (`fleet_batch`) as https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_BatchGetDeploymentGroups.html
  documents: `deploymentGroupsInfo` (the documents GetDeploymentGroup gives) and an `errorMessage`
  naming the groups that do not exist.
- Elastic Beanstalk `ListTagsForResource`: moto knows environment tags only; application tags the
  fleet stored (`fleet_tags`) are answered too.
- Elastic Beanstalk `DescribeConfigurationSettings`: not implemented by moto; answered from the option
  settings the fleet stored on the environment (values included, as AWS returns them: the crawler
  must keep only the names).
- Elastic Beanstalk `DescribeEnvironments`: a fleet environment marked `fleet_terminated` is listed
  with status Terminated unless `IncludeDeleted=false` (AWS lists terminated environments for about
  an hour; https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_DescribeEnvironments.html),
  and DescribeConfigurationSettings on it fails for that environment (InvalidParameterValue).
- Lambda function configuration: a fleet function marked `fleet_env_error` answers `Environment` with
  `Error` {ErrorCode, Message} and no `Variables`, as Lambda does when it cannot decrypt them
  (https://docs.aws.amazon.com/lambda/latest/api/API_EnvironmentResponse.html).
- Pages as AWS cuts them, in fleet account regions (`_fleet_region`), where moto answers in one page
  or cuts elsewhere, so the realistic benchmark counts the calls AWS would get: Lambda ListFunctions
  at most 50 functions a page whatever MaxItems says ("ListFunctions returns a maximum of 50 items in
  each response": https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html); CloudWatch
  DescribeAlarms MaxRecords alarms a page, 50 by default
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html);
  CloudFormation DescribeStacks a page per 1 MB of output, not moto's 50 stacks ("If the output
  exceeds 1 MB in size, a string that identifies the next page":
  https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStacks.html).
- Organizations accounts marked `fleet_status_retired` are described without `Status`, as AWS does
  since September 2026 (`State` only; https://docs.aws.amazon.com/organizations/latest/APIReference/API_Account.html).
- CodeCommit `ListRepositories` and `ListTagsForResource`: not implemented by moto; answered in the
  fleet's account regions (`fleet_listing`) and for its repositories (`fleet_tags`), in the shape of
  https://docs.aws.amazon.com/codecommit/latest/APIReference/API_ListRepositories.html (names and ids,
  sorted by name, one page) and API_ListTagsForResource.html (`tags` as a map).
- CodeCommit `BatchGetRepositories` and `BatchGetCommits`: not implemented by moto; answered in fleet
  account regions (`fleet_listing`) as API_BatchGetRepositories.html (`repositories`,
  `repositoriesNotFound`; more than 100 names is MaximumRepositoryNamesExceededException) and
  API_BatchGetCommits.html document them: the commits the fleet stored on a repository
  (`fleet_commits`: id -> message, committer time), each with `committer.date` in Git's "timestamp
  format with GMT offset" (`1484167798 -0800`), an `errors` entry per unknown id, more than 100 ids
  CommitIdsLimitExceededException, an unknown repository RepositoryDoesNotExistException.
- Resource Groups Tagging API `GetResources`: moto lists only the resource types of backends that
  mix in its tagging support; AWS lists every tagged resource of a supported service
  (https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/API_GetResources.html,
  https://docs.aws.amazon.com/resourcegroupstagging/latest/APIReference/supported-services.html).
  In fleet account regions (`fleet_listing`) it also lists CodePipeline pipelines, ECR
  repositories, and the CodeCommit repositories and Beanstalk applications whose tags the fleet
  stored (`fleet_tags`), with the same filters and pages as moto's own types; an S3 bucket is listed
  only by the region it is located in ("returns all the tagged or previously tagged resources that
  are located in the specified Region": API_GetResources.html), where moto lists every bucket of the
  account in every region (a page AWS would not serve in each region without buckets). Without
  `TagsPerPage` a page is cut at `ResourcesPerPage` only, as AWS recommends it be used ("AWS
  recommends using ResourcesPerPage instead of this parameter"); moto also cuts it at 100 tags,
  which on a client whose resources carry four tags each is four times the pages AWS returns.
- S3 `ListBuckets` in fleet accounts (`fleet_listing`): pages of `MaxBuckets` with a
  `ContinuationToken` and each bucket's `BucketRegion`, sorted by name, as
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html documents (moto cuts the list
  at MaxBuckets with no token and never gives the region).
- S3 wrong-region requests on fleet buckets (`fleet_redirect`): a request signed for another region
  than the bucket's is answered 301 PermanentRedirect, as real S3 does
  (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html): a GET with the error body
  naming the endpoint and no region, a HEAD with the `x-amz-bucket-region` header
  (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html); botocore's region redirector
  then sends HeadBucket. GetBucketLocation answers from any region. moto answers every region alike.

`install()` is idempotent and only touches moto in this process. Every addition answers only for
objects the fleet created (marked `fleet_*` or written complete), so other moto users in the same
process (tests with their own accounts) see plain moto.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from moto.codepipeline.models import PipelineExecution
from moto.core.utils import iso_8601_datetime_with_milliseconds

_lock = threading.Lock()
_installed = False


class FleetExecution(PipelineExecution):
    """A pipeline execution in the past, as ListPipelineExecutions / GetPipelineExecution show it."""

    def __init__(self, *, pipeline_name: str, pipeline_version: int, execution_id: str, status: str,
                 start: datetime, end: datetime, trigger: tuple[str, str], revision: dict[str, Any],
                 rollback_target: str | None = None, summary: str | None = None) -> None:
        super().__init__(pipeline_name, pipeline_version, None)
        self.pipeline_execution_id = execution_id
        self.status, self.status_summary = status, summary
        self.start_time, self.last_update_time = start, end
        self.trigger_type, self.trigger_detail = trigger
        self.revision, self.rollback_target = revision, rollback_target

    def _trigger(self) -> dict[str, str]:
        return {"triggerType": self.trigger_type, "triggerDetail": self.trigger_detail}

    def _extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"executionMode": "SUPERSEDED",
                                 "executionType": "ROLLBACK" if self.rollback_target else "STANDARD"}
        if self.rollback_target:
            extra["rollbackMetadata"] = {"rollbackTargetPipelineExecutionId": self.rollback_target}
        return extra

    def to_dict(self) -> dict[str, Any]:
        r = self.revision
        artifact = {"name": "SourceOutput", "revisionId": r["revisionId"], "revisionSummary": r["revisionSummary"],
                    "created": iso_8601_datetime_with_milliseconds(r["created"])}
        if r.get("revisionUrl"):
            artifact["revisionUrl"] = r["revisionUrl"]
        out = super().to_dict()
        out.update(artifactRevisions=[artifact], trigger=self._trigger(), **self._extra())
        return out

    def to_summary_dict(self) -> dict[str, Any]:
        r = self.revision
        source = {"actionName": "Source", "revisionId": r["revisionId"], "revisionSummary": r["revisionSummary"]}
        if r.get("revisionUrl"):
            source["revisionUrl"] = r["revisionUrl"]
        out = super().to_summary_dict()
        out.update(sourceRevisions=[source], trigger=self._trigger(), **self._extra())
        return out


def install() -> None:
    global _installed
    with _lock:
        if _installed:
            return
        _patch_codebuild()
        _patch_codebuild_paging()
        _patch_codedeploy()
        _patch_codedeploy_batch_groups()
        _patch_beanstalk()
        _patch_beanstalk_tags()
        _patch_beanstalk_terminated()
        _patch_codecommit()
        _patch_codecommit_batches()
        _patch_tagging()
        _patch_tagging_pages()
        _patch_s3()
        _patch_lambda_env_error()
        _patch_organizations_state()
        _patch_lambda_pages()
        _patch_alarm_pages()
        _patch_stack_pages()
        _installed = True


def _patch_codebuild() -> None:
    from moto.codebuild.models import CodeBuildBackend

    original = CodeBuildBackend.batch_get_builds

    def batch_get_builds(self: CodeBuildBackend, ids: list[str]) -> list[dict[str, Any]]:
        done = [b for builds in self.build_metadata_history.values() for b in builds
                if b["id"] in ids and b.get("buildComplete")]
        rest = [i for i in ids if i not in {b["id"] for b in done}]
        return done + (original(self, rest) if rest else [])

    CodeBuildBackend.batch_get_builds = batch_get_builds  # type: ignore[method-assign]


LIST_BUILDS_PAGE = 100  # ids per ListBuilds page, as AWS pages them


def _patch_codebuild_paging() -> None:
    from moto.codebuild.exceptions import InvalidInputException
    from moto.codebuild.responses import CodeBuildResponse

    original = CodeBuildResponse.list_builds

    def list_builds(self: CodeBuildResponse) -> Any:
        backend = self.codebuild_backend
        if not getattr(backend, "fleet_paging", False):  # not a fleet account: plain moto
            return original(self)
        token, order = self._get_param("nextToken"), self._get_param("sortOrder")
        if token and order:
            raise InvalidInputException("Sort order can't be specified when passing a nextToken")
        started = {b["id"]: b.get("startTime", "") for builds in backend.build_metadata_history.values()
                   for b in builds}
        ids = sorted(started, key=lambda i: (started[i], i), reverse=order != "ASCENDING")
        start = int(token) if token else 0
        page = ids[start:start + LIST_BUILDS_PAGE]
        more = start + LIST_BUILDS_PAGE < len(ids)
        return json.dumps({"ids": page, **({"nextToken": str(start + LIST_BUILDS_PAGE)} if more else {})})

    CodeBuildResponse.list_builds = list_builds  # type: ignore[method-assign]


def _patch_codedeploy() -> None:
    from moto.codedeploy import responses

    original = responses._deployment_info

    def deployment_info(deployment: Any) -> dict[str, Any]:
        out = original(deployment)
        if getattr(deployment, "fleet_rollback_info", None):
            out["rollbackInfo"] = deployment.fleet_rollback_info
        if getattr(deployment, "fleet_error", None):
            out["errorInformation"] = deployment.fleet_error
        return out

    responses._deployment_info = deployment_info


def _patch_codedeploy_batch_groups() -> None:
    from moto.codedeploy import responses
    from moto.codedeploy.exceptions import DeploymentGroupDoesNotExistException
    from moto.core.responses import ActionResult

    def batch_get_deployment_groups(self: responses.CodeDeployResponse) -> ActionResult:
        backend = self.codedeploy_backend
        if not getattr(backend, "fleet_batch", False):  # not a fleet account: plain moto
            raise NotImplementedError("The batch_get_deployment_groups action has not been implemented")
        app, names = self._get_param("applicationName"), self._get_param("deploymentGroupNames") or []
        found, missing = [], []
        for name in names:
            try:  # an unknown application fails the call (ApplicationDoesNotExistException), as in AWS
                found.append(responses._deployment_group_info(backend.get_deployment_group(app, name)))
            except DeploymentGroupDoesNotExistException:
                missing.append(name)
        out: dict[str, Any] = {"deploymentGroupsInfo": found}
        if missing:
            out["errorMessage"] = f"Deployment groups not found: {', '.join(missing)}"
        return ActionResult(out)

    responses.CodeDeployResponse.batch_get_deployment_groups = batch_get_deployment_groups  # type: ignore[attr-defined]


def _patch_beanstalk() -> None:
    from moto.core.responses import ActionResult
    from moto.elasticbeanstalk.exceptions import InvalidParameterValueError
    from moto.elasticbeanstalk.responses import EBResponse

    def describe_configuration_settings(self: EBResponse) -> ActionResult:
        app_name, env_name = self._get_param("ApplicationName"), self._get_param("EnvironmentName")
        app = self.elasticbeanstalk_backend.applications.get(app_name)
        env = app.environments.get(env_name) if app is not None else None
        if env is not None and getattr(env, "fleet_terminated", False):
            raise InvalidParameterValueError(f"No Environment found for EnvironmentName = '{env_name}'.")
        if env is None or not hasattr(env, "fleet_option_settings"):
            if env is not None or app is None:
                # not a fleet environment: answer as plain moto does (other moto users in the process)
                raise NotImplementedError("The describe_configuration_settings action has not been implemented")
            raise InvalidParameterValueError(f"No Environment found for EnvironmentName = '{env_name}'.")
        return ActionResult({"ConfigurationSettings": [{
            "SolutionStackName": env.solution_stack_name, "ApplicationName": app_name,
            "EnvironmentName": env_name, "DeploymentStatus": "deployed",
            "OptionSettings": list(getattr(env, "fleet_option_settings", [])),
        }]})

    EBResponse.describe_configuration_settings = describe_configuration_settings  # type: ignore[attr-defined]


def _patch_beanstalk_tags() -> None:
    from moto.elasticbeanstalk.models import EBBackend

    original = EBBackend.list_tags_for_resource

    def list_tags_for_resource(self: EBBackend, resource_arn: str) -> dict[str, str]:
        for app in self.applications.values():
            if app.arn == resource_arn and hasattr(app, "fleet_tags"):
                return dict(app.fleet_tags)
        return original(self, resource_arn)

    EBBackend.list_tags_for_resource = list_tags_for_resource  # type: ignore[method-assign]


def _patch_beanstalk_terminated() -> None:
    from moto.core.responses import ActionResult
    from moto.elasticbeanstalk.responses import EBResponse

    def describe_environments(self: EBResponse) -> ActionResult:
        include_deleted = str(self._get_param("IncludeDeleted", "true")).lower() != "false"
        envs = []
        for env in self.elasticbeanstalk_backend.describe_environments():
            if getattr(env, "fleet_terminated", False):
                if not include_deleted:
                    continue
                env.status = "Terminated"
            envs.append(env)
        return ActionResult({"Environments": envs})

    EBResponse.describe_environments = describe_environments  # type: ignore[method-assign]


def _patch_codecommit() -> None:
    from moto.codecommit.responses import CodeCommitResponse

    def list_repositories(self: CodeCommitResponse) -> str:
        backend = self.codecommit_backend
        if not getattr(backend, "fleet_listing", False):  # not a fleet account: plain moto
            raise NotImplementedError("The list_repositories action has not been implemented")
        repos = [r.repository_metadata for r in backend.repositories.values()]
        return json.dumps({"repositories": [{"repositoryName": m["repositoryName"], "repositoryId": m["repositoryId"]}
                                            for m in sorted(repos, key=lambda m: m["repositoryName"])]})

    def list_tags_for_resource(self: CodeCommitResponse) -> str:
        arn = self._get_param("resourceArn")
        for repo in self.codecommit_backend.repositories.values():
            if repo.repository_metadata["Arn"] == arn and hasattr(repo, "fleet_tags"):
                return json.dumps({"tags": dict(repo.fleet_tags)})
        raise NotImplementedError("The list_tags_for_resource action has not been implemented")

    CodeCommitResponse.list_repositories = list_repositories  # type: ignore[attr-defined]
    CodeCommitResponse.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]


COMMITS_PER_BATCH = REPOSITORIES_PER_BATCH = 100  # the documented maxima of the two batch calls


def git_date(when: datetime) -> str:
    """A time in CodeCommit's UserInfo.date format: Unix seconds and the GMT offset, as Git writes it."""
    return f"{int(when.timestamp())} +0000"


def _patch_codecommit_batches() -> None:
    from moto.codecommit.exceptions import RepositoryDoesNotExistException
    from moto.codecommit.responses import CodeCommitResponse
    from moto.core.exceptions import JsonRESTError

    def fleet(self: CodeCommitResponse, what: str) -> Any:
        backend = self.codecommit_backend
        if not getattr(backend, "fleet_listing", False):  # not a fleet account: plain moto
            raise NotImplementedError(f"The {what} action has not been implemented")
        return backend

    def batch_get_repositories(self: CodeCommitResponse) -> str:
        backend = fleet(self, "batch_get_repositories")
        names = self._get_param("repositoryNames") or []
        if len(names) > REPOSITORIES_PER_BATCH:
            raise JsonRESTError("MaximumRepositoryNamesExceededException",
                                "The maximum number of allowed repository names was exceeded. Currently, this number is 100.")
        found = [backend.repositories[n].repository_metadata for n in names if n in backend.repositories]
        return json.dumps({"repositories": found, "repositoriesNotFound": [n for n in names
                                                                           if n not in backend.repositories]})

    def batch_get_commits(self: CodeCommitResponse) -> str:
        backend = fleet(self, "batch_get_commits")
        name, ids = self._get_param("repositoryName"), self._get_param("commitIds") or []
        if len(ids) > COMMITS_PER_BATCH:
            raise JsonRESTError("CommitIdsLimitExceededException",
                                "The maximum number of allowed commit IDs in a batch request is 100.")
        repo = backend.repositories.get(name)
        if repo is None:
            raise RepositoryDoesNotExistException(name)
        stored = getattr(repo, "fleet_commits", {})
        commits, errors = [], []
        for commit_id in ids:
            if commit_id not in stored:
                errors.append({"commitId": commit_id, "errorCode": "CommitDoesNotExistException",
                               "errorMessage": f"{commit_id} does not exist in {name}"})
                continue
            message, when = stored[commit_id]
            person = {"name": "Fleet Developer", "email": "dev@fleet.example", "date": git_date(when)}
            commits.append({"commitId": commit_id, "treeId": commit_id[::-1], "parents": [], "message": message,
                            "author": person, "committer": person, "additionalData": ""})
        return json.dumps({"commits": commits, "errors": errors})

    CodeCommitResponse.batch_get_repositories = batch_get_repositories  # type: ignore[attr-defined]
    CodeCommitResponse.batch_get_commits = batch_get_commits  # type: ignore[attr-defined]


def _fleet_region(account_id: str, region: str) -> bool:
    """True in a fleet account region (the fleet marks them on moto's CodeCommit backend)."""
    from moto.codecommit.models import codecommit_backends

    if account_id not in codecommit_backends or region not in codecommit_backends[account_id]:
        return False
    return bool(getattr(codecommit_backends[account_id][region], "fleet_listing", False))


def _fleet_tagged(account_id: str, region: str) -> list[Any]:
    """The fleet's taggable objects moto's GetResources does not list (asked in fleet regions only)."""
    from moto.codecommit.models import codecommit_backends
    from moto.codepipeline.models import codepipeline_backends
    from moto.core.resource_tagging import TaggedResource
    from moto.ecr.models import ecr_backends
    from moto.elasticbeanstalk.models import eb_backends

    def backend(backends: Any) -> Any:
        return backends[account_id][region] if account_id in backends and region in backends[account_id] else None

    commit = backend(codecommit_backends)
    out = [TaggedResource(r.repository_metadata["Arn"], dict(r.fleet_tags), "codecommit:repository")
           for r in commit.repositories.values() if hasattr(r, "fleet_tags")]
    if (pipelines := backend(codepipeline_backends)) is not None:
        out += [TaggedResource(p._arn, dict(p.tags), "codepipeline:pipeline") for p in pipelines.pipelines.values()]
    if (ecr := backend(ecr_backends)) is not None:
        out += [TaggedResource(r.arn, ecr.tagger.get_tag_dict_for_resource(r.arn), "ecr:repository")
                for r in ecr.repositories.values()]
    if (eb := backend(eb_backends)) is not None:
        out += [TaggedResource(a.arn, dict(a.fleet_tags), "elasticbeanstalk:application")
                for a in eb.applications.values() if hasattr(a, "fleet_tags")]
    return out


def _buckets_elsewhere(account_id: str, region: str) -> set[str]:
    """Names of the account's S3 buckets located in another region than `region` (moto's S3 backend
    is global)."""
    from moto.s3.models import s3_backends

    buckets = s3_backends[account_id]["global"].buckets if account_id in s3_backends else {}
    return {name for name, bucket in buckets.items() if bucket.region_name != region}


def _patch_tagging() -> None:
    from moto.core.resource_tagging import make_tag_matcher, match_resource_type
    from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend

    original = ResourceGroupsTaggingAPIBackend._get_resources_generator

    def resources(self: ResourceGroupsTaggingAPIBackend, tag_filters: list[dict[str, Any]] | None = None,
                  resource_type_filters: list[str] | None = None,
                  resource_arn_list: list[str] | None = None) -> Any:
        listed = original(self, tag_filters, resource_type_filters, resource_arn_list)
        if not _fleet_region(self.account_id, self.region_name):
            yield from listed
            return
        elsewhere = _buckets_elsewhere(self.account_id, self.region_name)  # once per pass, not per resource
        yield from (r for r in listed if r.resource_type != "s3:bucket" or r.arn.rsplit(":", 1)[-1] not in elsewhere)
        matches = make_tag_matcher(tag_filters)
        for r in _fleet_tagged(self.account_id, self.region_name):
            if (r.tags and match_resource_type(r.resource_type, resource_type_filters) and matches(r.tags)
                    and (not resource_arn_list or r.arn in resource_arn_list)):
                yield r

    ResourceGroupsTaggingAPIBackend._get_resources_generator = resources  # type: ignore[method-assign]


_unlimited_tags = threading.local()  # set while a fleet GetResources without TagsPerPage is answered


def _patch_tagging_pages() -> None:
    from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend
    from moto.resourcegroupstaggingapi.responses import ResourceGroupsTaggingAPIResponse

    answer, page = ResourceGroupsTaggingAPIResponse.get_resources, ResourceGroupsTaggingAPIBackend.get_resources

    def get_resources(self: ResourceGroupsTaggingAPIResponse) -> Any:
        _unlimited_tags.on = (_fleet_region(self.current_account, self.region)
                              and self._get_param("TagsPerPage") is None)
        try:
            return answer(self)
        finally:
            _unlimited_tags.on = False

    def get_resources_page(self: ResourceGroupsTaggingAPIBackend, *args: Any, **kwargs: Any) -> Any:
        if getattr(_unlimited_tags, "on", False):
            kwargs["tags_per_page"] = 10**9
        return page(self, *args, **kwargs)

    ResourceGroupsTaggingAPIResponse.get_resources = get_resources  # type: ignore[method-assign]
    ResourceGroupsTaggingAPIBackend.get_resources = get_resources_page  # type: ignore[method-assign]


def _patch_s3() -> None:
    from moto.core.responses import ActionResult
    from moto.s3.responses import S3Response

    all_buckets = S3Response.all_buckets
    bucket_response = S3Response.bucket_response

    def fleet_all_buckets(self: S3Response) -> Any:
        if not getattr(self.backend, "fleet_listing", False):  # not a fleet account: plain moto
            return all_buckets(self)
        self.data["Action"] = "ListAllMyBuckets"
        self._authenticate_and_authorize_s3_action()
        size = int(self._get_param("max-buckets") or 10_000)
        after = self._get_param("continuation-token") or ""
        names = sorted(n for n in self.backend.buckets if n > after)
        page = names[:size]
        out: dict[str, Any] = {
            "Owner": {"ID": "bcaf1ffd86f41161ca5fb16fd081034f", "DisplayName": "webfile"},
            "Buckets": [{"Name": n, "CreationDate": self.backend.buckets[n].creation_date_ISO8601,
                         "BucketRegion": self.backend.buckets[n].region_name} for n in page],
        }
        if len(names) > size:
            out["ContinuationToken"] = page[-1]
        self.data["Action"] = "ListBuckets"
        return self.serialized(ActionResult(out))

    def fleet_bucket_response(self: S3Response, request: Any, full_url: str, headers: Any) -> Any:
        if request.method not in ("GET", "HEAD"):  # the fleet seeds its buckets from their own region
            return bucket_response(self, request, full_url, headers)
        self.setup_class(request)
        name = self.parse_bucket_name_from_url(request, full_url)
        bucket = self.backend.buckets.get(name) if name else None
        query = self._get_querystring(request, full_url)
        if (bucket is not None and getattr(bucket, "fleet_redirect", False) and "location" not in query
                and self.region and self.region != bucket.region_name):
            if request.method == "HEAD":
                return 301, {"x-amz-bucket-region": bucket.region_name}, b""
            body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>PermanentRedirect</Code>"
                    "<Message>The bucket you are attempting to access must be addressed using the specified "
                    f"endpoint. Please send all future requests to this endpoint.</Message><Bucket>{name}</Bucket>"
                    f"<Endpoint>{name}.s3.{bucket.region_name}.amazonaws.com</Endpoint></Error>")
            return 301, {"content-type": "application/xml"}, body.encode()
        return bucket_response(self, request, full_url, headers)

    S3Response.all_buckets = fleet_all_buckets  # type: ignore[method-assign]
    S3Response.bucket_response = fleet_bucket_response  # type: ignore[method-assign]


def _patch_lambda_env_error() -> None:
    from moto.awslambda.models import LambdaFunction

    original = LambdaFunction.get_configuration

    def get_configuration(self: LambdaFunction, on_create: bool = False) -> dict[str, Any]:
        config = original(self, on_create)
        error = getattr(self, "fleet_env_error", None)
        if error:
            config["Environment"] = {"Error": {"ErrorCode": error, "Message": "Lambda was unable to decrypt the "
                                               "environment variables because KMS access was denied."}}
        return config

    LambdaFunction.get_configuration = get_configuration  # type: ignore[method-assign]


def _patch_organizations_state() -> None:
    from moto.organizations.models import FakeAccount

    original = FakeAccount.describe

    def describe(self: FakeAccount) -> dict[str, Any]:
        out = original(self)
        if getattr(self, "fleet_status_retired", False):
            out.pop("Status", None)
        return out

    FakeAccount.describe = describe  # type: ignore[method-assign]


LIST_FUNCTIONS_PAGE = 50  # functions per ListFunctions page at most, whatever MaxItems asks
ALARMS_PAGE = 50  # DescribeAlarms' default MaxRecords
STACKS_PAGE_BYTES = 1_000_000  # DescribeStacks cuts a page when its output would pass 1 MB


def _in_fleet_regions(response_class: Any, action: str, answer: Callable[[Any, Callable[[], Any]], Any]) -> None:
    """Answer `action` with `answer(response, moto's own answer)` in fleet account regions; moto's
    own answer everywhere else."""
    original = getattr(response_class, action)

    def patched(self: Any) -> Any:
        if not _fleet_region(self.current_account, self.region):
            return original(self)
        return answer(self, lambda: original(self))

    setattr(response_class, action, patched)


def _cut(items: list[Any], token: str | None, size: int) -> tuple[list[Any], str | None]:
    """One page of `items` from the page token (an offset), and the next page's token, if any."""
    start = int(token or 0)
    return items[start:start + size], str(start + size) if start + size < len(items) else None


def _patch_lambda_pages() -> None:
    from moto.awslambda.responses import LambdaResponse

    def list_functions(self: LambdaResponse, moto: Callable[[], str]) -> str:
        size = min(int(self.querystring.get("MaxItems", [LIST_FUNCTIONS_PAGE])[0]), LIST_FUNCTIONS_PAGE)
        page, marker = _cut(json.loads(moto())["Functions"], self.querystring.get("Marker", [None])[0], size)
        return json.dumps({"Functions": page, **({"NextMarker": marker} if marker else {})})

    _in_fleet_regions(LambdaResponse, "list_functions", list_functions)


def _patch_alarm_pages() -> None:
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult

    def describe_alarms(self: CloudWatchResponse, moto: Callable[[], ActionResult]) -> ActionResult:
        result = moto().result
        assert isinstance(result, dict)
        kinds = ("MetricAlarms", "CompositeAlarms")
        page, token = _cut([(kind, a) for kind in kinds for a in result[kind]], self._get_param("NextToken"),
                           int(self._get_param("MaxRecords") or ALARMS_PAGE))
        return ActionResult({**{kind: [a for k, a in page if k == kind] for kind in kinds},
                             **({"NextToken": token} if token else {})})

    _in_fleet_regions(CloudWatchResponse, "describe_alarms", describe_alarms)


def _stack_bytes(stack: Any) -> int:
    """About the size of a stack's entry in DescribeStacks' XML: ~2 KB of fixed members, and each
    parameter, output and tag as its text plus its XML."""
    parts = [*(stack.parameters or {}).items(), *(stack.tags or {}).items(),
             *((o["OutputKey"], o["OutputValue"]) for o in stack.outputs or [])]
    return 2_000 + sum(len(str(k)) + len(str(v)) + 120 for k, v in parts) + len(str(stack.description or ""))


def _patch_stack_pages() -> None:
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.core.responses import ActionResult

    def describe_stacks(self: CloudFormationResponse, moto: Callable[[], ActionResult]) -> ActionResult:
        if self._get_param("StackName"):
            return moto()
        stacks = list(self.cloudformation_backend.describe_stacks(None))
        start = int(self._get_param("NextToken") or 0)
        end, size = start, 0
        while end < len(stacks):  # the first stack always, then while the page stays within 1 MB
            size += _stack_bytes(stacks[end])
            if end > start and size > STACKS_PAGE_BYTES:
                break
            end += 1
        return ActionResult({"Stacks": stacks[start:end], "NextToken": str(end) if end < len(stacks) else None})

    _in_fleet_regions(CloudFormationResponse, "describe_stacks", describe_stacks)
