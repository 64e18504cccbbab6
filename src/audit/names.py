"""What names look like, decided once: AWS region names, secret-looking variable names, bucket purposes.

    REGION          a region name as configured (`eu-west-1`, `us-gov-west-1`): config, crawler, demo
    REGION_IN_TEXT  a region inside a resource name (`acme-deploy-eu-west-1`), for normalising names
    looks_secret    a variable/key name that suggests a secret value (collectors, demo)
    BUCKET_PURPOSES what a bucket is for, from keywords in its name, and whether it is a *delivery*
                    bucket (the crawler reads delivery buckets' settings; the analysis groups
                    buckets by purpose for the baseline)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

REGION_PATTERN = r"^[a-z]{2}(-gov)?-[a-z]+-\d$"
REGION = re.compile(REGION_PATTERN)
ACCOUNT_ID_PATTERN = r"^\d{12}$"
ACCOUNT_ID = re.compile(ACCOUNT_ID_PATTERN)
# Inside free text only known partitions and directions count, so `my-app-1` is not a region.
REGION_IN_TEXT = re.compile(r"(?<![a-z])(?:us|eu|ap|sa|ca|me|af|il|mx)(?:-gov)?-"
                            r"(?:north|south|east|west|central|northeast|southeast|northwest|southwest)-\d(?!\d)")

_SECRET_WORDS = ("PASSWORD", "PASSWD", "PWD", "SECRET", "TOKEN", "KEY", "CREDENTIAL", "CREDENTIALS",
                 "AUTH", "PRIVATE", "APIKEY", "CERT", "PASSPHRASE", "SIGNATURE", "DSN")


@lru_cache(maxsize=4096)  # pure; a crawl asks it for the same few tag keys thousands of times
def looks_secret(name: str) -> bool:
    """A variable/key name that suggests it holds a secret (PASSWORD, DB_SECRET, GITHUB_TOKEN, apiKey...)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    words = [w for w in re.split(r"[^A-Za-z0-9]+", spaced.upper()) if w]
    return any(w in _SECRET_WORDS or w.endswith(("PASSWORD", "SECRET", "TOKEN", "APIKEY")) for w in words)


@dataclass(frozen=True)
class BucketPurpose:
    """A bucket purpose recognised by a keyword regex in the (lower-case) bucket name.

    `delivery`: the bucket carries what a pipeline delivers (build artifacts, CDK assets, SAM
    packages, Terraform state), so its versioning, encryption and public access block belong to the
    onboarding baseline and the crawler reads them (three calls per bucket). Logs, websites, backups
    and CloudTrail buckets are not delivery buckets: their settings are someone else's concern, and
    reading every bucket's would cost three calls per bucket of an account (300 for 100 buckets)."""

    name: str
    pattern: str
    delivery: bool


BUCKET_PURPOSES = (  # first match wins
    BucketPurpose("cdk-assets", r"cdk-.*assets", True),
    BucketPurpose("sam-artifacts", r"aws-sam-cli|sam-artifacts", True),
    BucketPurpose("pipeline-artifacts", r"artifact|codepipeline|pipeline", True),
    BucketPurpose("terraform-state", r"tfstate|terraform", True),
    BucketPurpose("access-logs", r"log", False),
    BucketPurpose("website", r"www|website|static|site|web", False),
    BucketPurpose("backups", r"backup", False),
    BucketPurpose("cloudtrail", r"trail", False),
)


def purpose_of_bucket(name: str | None) -> BucketPurpose | None:
    """The purpose a bucket's name says (first matching keyword), or None when no keyword matches."""
    low = (name or "").lower()
    return next((p for p in BUCKET_PURPOSES if re.search(p.pattern, low)), None)


def is_delivery_bucket(name: str | None) -> bool:
    """True for a bucket whose name says it holds delivery artifacts (BUCKET_PURPOSES' `delivery`)."""
    purpose = purpose_of_bucket(name)
    return purpose is not None and purpose.delivery
