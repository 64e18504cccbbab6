"""What names look like, decided once: AWS region names and secret-looking variable names.

    REGION          a region name as configured (`eu-west-1`, `us-gov-west-1`): config, crawler, demo
    REGION_IN_TEXT  a region inside a resource name (`acme-deploy-eu-west-1`), for normalising names
    looks_secret    a variable/key name that suggests a secret value (collectors, demo)
"""

from __future__ import annotations

import re

REGION_PATTERN = r"^[a-z]{2}(-gov)?-[a-z]+-\d$"
REGION = re.compile(REGION_PATTERN)
# Inside free text only known partitions and directions count, so `my-app-1` is not a region.
REGION_IN_TEXT = re.compile(r"(?<![a-z])(?:us|eu|ap|sa|ca|me|af|il|mx)(?:-gov)?-"
                            r"(?:north|south|east|west|central|northeast|southeast|northwest|southwest)-\d(?!\d)")

_SECRET_WORDS = ("PASSWORD", "PASSWD", "PWD", "SECRET", "TOKEN", "KEY", "CREDENTIAL", "CREDENTIALS",
                 "AUTH", "PRIVATE", "APIKEY", "CERT", "PASSPHRASE", "SIGNATURE", "DSN")


def looks_secret(name: str) -> bool:
    """A variable/key name that suggests it holds a secret (PASSWORD, DB_SECRET, GITHUB_TOKEN, apiKey...)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    words = [w for w in re.split(r"[^A-Za-z0-9]+", spaced.upper()) if w]
    return any(w in _SECRET_WORDS or w.endswith(("PASSWORD", "SECRET", "TOKEN", "APIKEY")) for w in words)
