from __future__ import annotations

import json


def _manifest(digest_char: str) -> str:
    return json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                       "config": {"digest": "sha256:" + "c" * 64, "size": 1, "mediaType": "x"},
                       "layers": [{"digest": "sha256:" + digest_char * 64, "size": 1, "mediaType": "x"}]})


def test_image_count_is_distinct_digests_not_tags(account) -> None:
    """ListImages lists one identifier per tag (moto too): two images under three tags are 2 images."""
    ecr = account.boto("ecr")
    ecr.create_repository(repositoryName="web-app", imageScanningConfiguration={"scanOnPush": True},
                          imageTagMutability="IMMUTABLE", tags=[{"Key": "team", "Value": "web"}])
    for manifest, tag in ((_manifest("a"), "1.0"), (_manifest("a"), "latest"), (_manifest("b"), "2.0")):
        ecr.put_image(repositoryName="web-app", imageManifest=manifest, imageTag=tag)
    assert len(ecr.list_images(repositoryName="web-app")["imageIds"]) == 3
    rows, errors = account.collect("ecr")
    assert errors == []
    (r,) = rows["ecr_repositories"]
    assert (r["scan_on_push"], r["tag_mutability"], r["image_count"]) == (True, "IMMUTABLE", 2)
    # no registry rule: the repository's own setting answers, and says so
    assert (r["scan_on_push_source"], r["registry_scan_type"]) == ("repository", "BASIC")
    assert json.loads(r["tags"]) == {"team": "web"}


def test_registry_scanning_rules_decide_scan_on_push(account) -> None:
    """The repository's imageScanningConfiguration is deprecated for the registry's scanning rules
    (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_GetRegistryScanningConfiguration.html):
    a matching rule decides; a repository no rule matches keeps its own setting."""
    ecr = account.boto("ecr", "us-east-2")
    ecr.create_repository(repositoryName="web-app", imageScanningConfiguration={"scanOnPush": False})
    ecr.create_repository(repositoryName="batch-job", imageScanningConfiguration={"scanOnPush": False})
    ecr.create_repository(repositoryName="worker", imageScanningConfiguration={"scanOnPush": True})
    ecr.put_registry_scanning_configuration(scanType="ENHANCED", rules=[
        {"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "web-*", "filterType": "WILDCARD"}]},
        {"scanFrequency": "MANUAL", "repositoryFilters": [{"filter": "batch*", "filterType": "WILDCARD"}]}])
    rows, errors = account.collect("ecr", "us-east-2")
    assert errors == []
    got = {r["name"]: (r["scan_on_push"], r["scan_on_push_source"], r["registry_scan_type"])
           for r in rows["ecr_repositories"]}
    assert got == {"web-app": (True, "registry", "ENHANCED"), "batch-job": (False, "registry", "ENHANCED"),
                   "worker": (True, "repository", "ENHANCED")}


def test_encryption_type_comes_with_describe_repositories(account) -> None:
    """encryptionConfiguration.encryptionType (AES256 by default, KMS when asked) needs no extra call
    (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_EncryptionConfiguration.html)."""
    ecr = account.boto("ecr")
    ecr.create_repository(repositoryName="plain")
    ecr.create_repository(repositoryName="kms", encryptionConfiguration={"encryptionType": "KMS"})
    rows, errors = account.collect("ecr")
    assert errors == []
    assert {r["name"]: r["encryption_type"] for r in rows["ecr_repositories"]} == {"plain": "AES256", "kms": "KMS"}


def test_a_region_without_repositories_is_not_asked_for_its_registry_rules(account) -> None:
    """The registry's scanning rules only decide repositories' rows: an empty region costs one call."""
    from audit.aws.guard import recording_calls

    with recording_calls() as called:
        rows, errors = account.collect("ecr", "ap-southeast-2")
    assert (rows["ecr_repositories"], errors) == ([], [])
    assert {c for c in called if c[0] == "ecr"} == {("ecr", "DescribeRepositories")}
    account.boto("ecr", "ap-southeast-2").create_repository(repositoryName="web-app")
    with recording_calls() as called:
        rows, _ = account.collect("ecr", "ap-southeast-2")
    assert ("ecr", "GetRegistryScanningConfiguration") in called and len(rows["ecr_repositories"]) == 1
