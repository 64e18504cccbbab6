from __future__ import annotations

import json


def test_repositories_with_image_count(account) -> None:
    ecr = account.boto("ecr")
    ecr.create_repository(repositoryName="web-app", imageScanningConfiguration={"scanOnPush": True},
                          imageTagMutability="IMMUTABLE", tags=[{"Key": "team", "Value": "web"}])
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"digest": "sha256:" + "a" * 64, "size": 1, "mediaType": "x"}, "layers": []})
    for tag in ("1.0", "1.1"):
        ecr.put_image(repositoryName="web-app", imageManifest=manifest, imageTag=tag)
    rows, errors = account.collect("ecr")
    assert errors == []
    (r,) = rows["ecr_repositories"]
    assert (r["scan_on_push"], r["tag_mutability"], r["image_count"]) == (True, "IMMUTABLE", 2)
    assert json.loads(r["tags"]) == {"team": "web"}
