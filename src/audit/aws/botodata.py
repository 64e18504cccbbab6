"""botocore's own data (service models, paginators, endpoints), read without the user's AWS profile.

A plain botocore session resolves AWS_PROFILE for every lookup, data files included: with a profile
that is misspelled or not created yet, `import audit.aws` (collectors name their operations at
import) raised ProfileNotFound, a traceback before the CLI could say which profile is missing. The
crawl's own sessions (aws/session.py) still read the profile, and name it when it is not found.

The model session's loader reads each data file once per process, whichever thread asks first
(`OnceLoader`); the crawl's sessions share it when they search the same data path
(`session._model_loader`), so a model the collectors read at import is not parsed again for the
crawl's clients.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import threading
from functools import cache
from typing import Any

import botocore.loaders
import botocore.session

_botocore_log = logging.getLogger("botocore.loaders")  # where botocore's own loader logs each file


class DictJSONFileLoader(botocore.loaders.JSONFileLoader):
    """botocore's JSON file loader, building plain dicts where botocore builds OrderedDicts.

    The content and key order are the same (dicts keep insertion order); botocore reads models
    through the Mapping interface only. `json.loads` with an `object_pairs_hook` takes about twice
    as long as without (ec2's model: ~90 vs ~50 ms) and OrderedDicts take more memory, which the
    garbage collector then walks."""

    def load_file(self, file_path: str) -> Any:
        for ext, open_method in ((".json", open), (".json.gz", gzip.open)):  # botocore's order
            full_path = file_path + ext
            if os.path.isfile(full_path):
                with open_method(full_path, "rb") as fp:
                    payload = fp.read().decode("utf-8")
                _botocore_log.debug("Loading JSON file: %s", full_path)
                return json.loads(payload)
        return None


class OnceLoader(botocore.loaders.Loader):
    """botocore's Loader, its cached reads made under one lock.

    botocore caches each listing and file per loader instance, but not under a lock: threads that
    start a crawl's first clients at once each list the ~440 model directories (~10 ms a listing,
    one per data type) and parse the same paginators, models and endpoint rules (seen 15 listings
    of `paginators-1` in one 16-worker crawl). Under the lock the first thread reads and the others
    take its answer from botocore's cache. Reads are CPU-bound under the GIL, so serialising them
    costs no wall time; the values are botocore's own."""

    FILE_LOADER_CLASS = DictJSONFileLoader

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._once = threading.RLock()  # re-entrant: load_service_model lists and loads within
        self.data_path: str | None = None  # the AWS_DATA_PATH / config `data_path` it searches (once_loader)

    def list_available_services(self, type_name: str) -> Any:
        with self._once:
            return super().list_available_services(type_name)

    def determine_latest_version(self, service_name: str, type_name: str) -> Any:
        with self._once:
            return super().determine_latest_version(service_name, type_name)

    def list_api_versions(self, service_name: str, type_name: str) -> Any:
        with self._once:
            return super().list_api_versions(service_name, type_name)

    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        with self._once:
            return super().load_service_model(service_name, type_name, api_version)

    def load_data_with_path(self, name: str) -> Any:
        with self._once:
            return super().load_data_with_path(name)


def once_loader(search_path_string: str | None = None) -> OnceLoader:
    """botocore.loaders.create_loader, building an OnceLoader (same search paths); the
    `data_path` it was built for is kept as its `data_path`."""
    if search_path_string is None:
        loader = OnceLoader()
    else:
        loader = OnceLoader(extra_search_paths=[os.path.expanduser(os.path.expandvars(p))
                                                for p in search_path_string.split(os.pathsep)])
    loader.data_path = search_path_string
    return loader


@cache
def model_session() -> botocore.session.Session:
    """A session for model and endpoint data only: it reads no profile, so none can break it."""
    session = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    session.register_component("data_loader", once_loader(session.get_config_variable("data_path")))
    return session
