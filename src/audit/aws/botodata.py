"""botocore's own data (service models, paginators, endpoints), read without the user's AWS profile.

A plain botocore session resolves AWS_PROFILE for every lookup, data files included: with a profile
that is misspelled or not created yet, `import audit.aws` (collectors name their operations at
import) raised ProfileNotFound, a traceback before the CLI could say which profile is missing. The
crawl's own sessions (aws/session.py) still read the profile, and name it when it is not found.
"""

from __future__ import annotations

from functools import cache

import botocore.session


@cache
def model_session() -> botocore.session.Session:
    """A session for model and endpoint data only: it reads no profile, so none can break it."""
    return botocore.session.Session(session_vars={"profile": (None, None, None, None)})
