"""Every call the crawler makes conforms to the botocore service model, as real AWS would demand.

moto forgives what AWS rejects, and botocore validates types and required members client-side but
not `max`, `enum` or unknown keys of a response. So a crawl of the session fleet runs with two
checks on every client the crawler builds:

- a `before-parameter-build` hook checks each request's parameters against the operation's input
  shape: no unknown member, required ones present, strings and lists within min/max length and in
  the enum, numbers within min/max; and a paginated read asks for its largest page (audit.aws.limits);
- every parsed response is wrapped (botocore's `_make_api_call`) in dicts that record the keys the
  crawler reads (`[]`, `get`, `in`); a key the output shape does not have is a violation (a key the
  crawler wrote itself, such as `__tags`, is its own). The collector modules' `dict` copies a
  recording dict as a recording dict, so `dict(item)` keeps watching.

Declared operations must exist in the model too. Negative tests prove each check can fail.
"""

from __future__ import annotations

import builtins
import contextlib
import copy
import importlib
import pkgutil
import threading
from collections.abc import Iterator
from typing import Any

import botocore.client
import botocore.session
import pytest
from botocore.model import ListShape, MapShape, Shape, StructureShape

import audit.aws.collectors as collectors_pkg
from audit.aws import session as aws_session
from audit.aws.collectors import REGISTRY
from audit.aws.crawler import crawl
from audit.aws.guard import ACCOUNT_OPERATIONS
from audit.aws.limits import limit_key, page_size
from audit.config import load_accounts
from audit.options import CrawlOptions

Violation = tuple[str, str, str]  # (operation, where, what)


# ---- the request check -----------------------------------------------------------------------------

def check_params(value: Any, shape: Shape, where: str, out: list[str]) -> None:
    """Append a message for every way `value` breaks `shape` (members, required, min/max, enum)."""
    meta = shape.metadata
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            out.append(f"{where}: expected a structure")
            return
        for key, item in value.items():
            if key not in shape.members:
                out.append(f"{where}.{key}: not a member of {shape.name}")
            else:
                check_params(item, shape.members[key], f"{where}.{key}", out)
        out += [f"{where}.{key}: required" for key in shape.required_members if key not in value]
        return
    if isinstance(shape, ListShape | MapShape) or shape.type_name in ("string", "blob"):
        size = len(value) if hasattr(value, "__len__") else None
        if size is not None and "min" in meta and size < meta["min"]:
            out.append(f"{where}: length {size} < min {meta['min']}")
        if size is not None and "max" in meta and size > meta["max"]:
            out.append(f"{where}: length {size} > max {meta['max']}")
    if isinstance(shape, ListShape):
        for i, item in enumerate(value):
            check_params(item, shape.member, f"{where}[{i}]", out)
    elif isinstance(shape, MapShape):
        for key, item in value.items():
            check_params(key, shape.key, f"{where}<key>", out)
            check_params(item, shape.value, f"{where}[{key}]", out)
    elif shape.type_name == "string" and shape.enum and value not in shape.enum:
        out.append(f"{where}: {value!r} not in enum {shape.enum}")
    elif shape.type_name in ("integer", "long", "float", "double"):
        if "min" in meta and value < meta["min"]:
            out.append(f"{where}: {value} < min {meta['min']}")
        if "max" in meta and value > meta["max"]:
            out.append(f"{where}: {value} > max {meta['max']}")


class Checker:
    """Collects violations from every client it is installed on (thread-safe)."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []
        self.operations: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def add(self, op: str, where: str, what: str) -> None:
        with self._lock:
            self.violations.append((op, where, what))

    def on_params(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        found: list[str] = []
        if model.input_shape is not None:
            check_params(params, model.input_shape, "params", found)
        elif params:
            found.append(f"params {sorted(params)}: the operation takes none")
        service = model.service_model.service_name
        key, size = limit_key(service, model.name), page_size(service, model.name)
        if key and size and params.get(key) != size:  # pages at their maxima (audit.aws.limits)
            found.append(f"params.{key}: {params.get(key)}, not the largest page {size}")
        with self._lock:
            self.operations.add((service, model.name))
        for message in found:
            self.add(f"{service}:{model.name}", "request", message)

    def install(self, client: Any) -> Any:
        client.meta.events.register("before-parameter-build", self.on_params, unique_id="conformance-params")
        return client


# ---- the response check ----------------------------------------------------------------------------

class Recording(builtins.dict):
    """A parsed response structure that reports reads of keys its shape does not have."""

    def __init__(self, data: dict[str, Any], shape: StructureShape, op: str, path: str, checker: Checker) -> None:
        super().__init__(data)
        self._shape, self._op, self._path, self._checker = shape, op, path, checker
        self._own: set[str] = set()

    def _read(self, key: Any) -> None:
        if key not in self._shape.members and key != "ResponseMetadata" and key not in self._own:
            self._checker.add(self._op, self._path, f"reads {key!r}, not a member of {self._shape.name}")

    def __getitem__(self, key: Any) -> Any:
        self._read(key)
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self._read(key)
        return super().get(key, default)

    def __contains__(self, key: Any) -> bool:
        self._read(key)
        return super().__contains__(key)

    def pop(self, key: Any, *default: Any) -> Any:
        self._read(key)
        return super().pop(key, *default)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._own.add(key)
        super().__setitem__(key, value)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self._own.add(key)
        return super().setdefault(key, default)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:  # botocore caches credentials by deepcopy
        return copy.deepcopy(builtins.dict(self), memo)

    def __reduce_ex__(self, protocol: Any) -> Any:  # pickled (an Executor shipping rows) as a plain dict
        return builtins.dict, (builtins.dict(self),)

    def copy(self) -> Recording:
        twin = Recording(builtins.dict(self.items()), self._shape, self._op, self._path, self._checker)
        twin._own = set(self._own)
        return twin


def wrap(value: Any, shape: Shape | None, op: str, path: str, checker: Checker) -> Any:
    """The parsed value with every structure in it a Recording (maps' keys are data, not model keys)."""
    if isinstance(shape, StructureShape) and isinstance(value, builtins.dict):
        return Recording({k: wrap(v, shape.members.get(k), op, f"{path}.{k}", checker) for k, v in value.items()},
                         shape, op, path, checker)
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [wrap(v, shape.member, op, f"{path}[]", checker) for v in value]
    if isinstance(shape, MapShape) and isinstance(value, builtins.dict):
        return {k: wrap(v, shape.value, op, f"{path}[*]", checker) for k, v in value.items()}
    return value


class _DictType(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, builtins.dict)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, builtins.dict)


class CopyingDict(builtins.dict, metaclass=_DictType):
    """`dict` as the collector modules see it during the crawl: `dict(recording)` stays recording."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not kwargs and isinstance(args[0], Recording):
            return args[0].copy()
        return builtins.dict(*args, **kwargs)


def collector_modules() -> list[Any]:
    names = [f"audit.aws.collectors.{m.name}" for m in pkgutil.iter_modules(collectors_pkg.__path__)]
    return [importlib.import_module(n) for n in ["audit.aws.collectors", *names, "audit.aws.tagging"]]


@pytest.fixture
def checker(monkeypatch: pytest.MonkeyPatch) -> Iterator[Checker]:
    """A Checker on every client the crawler builds, and recording responses on every call."""
    check = Checker()
    make = aws_session.AwsContext._make
    monkeypatch.setattr(aws_session.AwsContext, "_make", lambda self, *a, **kw: check.install(make(self, *a, **kw)))
    call = botocore.client.BaseClient._make_api_call

    def recorded(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        parsed = call(self, operation_name, api_params)
        model = self.meta.service_model.operation_model(operation_name)
        return wrap(parsed, model.output_shape, f"{self.meta.service_model.service_name}:{operation_name}",
                    "response", check)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recorded)
    for module in collector_modules():
        monkeypatch.setattr(module, "dict", CopyingDict, raising=False)
    yield check


# ---- the tests -------------------------------------------------------------------------------------

def test_a_fleet_crawl_conforms_to_the_service_models(fleet, tmp_path, checker) -> None:
    config = load_accounts(fleet.accounts_file)
    home = {c.account_id: c.home_region for c in fleet.model.clients}  # every team, both regions, faster
    config = config.model_copy(update={"clients": [c.model_copy(update={"regions": [home[c.account_id]]})
                                                   for c in config.clients]})
    result = crawl(config, tmp_path, CrawlOptions(endpoint_url=fleet.endpoint_url, progress=False, day="2026-04-01"))
    assert result.accounts_ok + result.accounts_partial > 0
    assert sorted(set(checker.violations)) == []
    declared = {op for c in REGISTRY.values() for op in c.operations}
    assert len(checker.operations & declared) >= 40  # the crawl really went through the collectors
    assert ("resourcegroupstaggingapi", "GetResources") in checker.operations


def test_every_declared_operation_is_in_the_model() -> None:
    session = botocore.session.get_session()
    declared = {op for c in REGISTRY.values() for op in c.operations} | set(ACCOUNT_OPERATIONS)
    missing = [f"{s}:{o}" for s, o in sorted(declared) if o not in session.get_service_model(s).operation_names]
    assert missing == []


def test_the_request_check_finds_max_enum_and_unknown_parameters(account, checker) -> None:
    aws = aws_session.AwsContext(aws_session.AwsSettings(endpoint_url=account.url), day="2026-01-01")  # new clients
    cw = aws.client(account.target, "eu-west-1", "cloudwatch")
    cfn = aws.client(account.target, "eu-west-1", "cloudformation")
    aws.assume(account.target)
    with aws.acting_as(account.target):
        cw.describe_alarms(MaxRecords=100)  # the maximum: fine
        for call in (lambda: cw.describe_alarms(MaxRecords=500),  # moto accepts; AWS: 1..100
                     lambda: cfn.list_stack_sets(Status="RUNNING")):  # not in the enum ACTIVE | DELETED
            with contextlib.suppress(Exception):  # whether moto answers does not matter: the hook ran first
                call()
    messages = [what for _, _, what in checker.violations]
    assert any("MaxRecords: 500 > max 100" in m for m in messages), messages
    assert any("'RUNNING' not in enum" in m for m in messages), messages
    found: list[str] = []
    check_params({"MaxRecords": 10, "Nope": 1}, cw.meta.service_model.operation_model("DescribeAlarms").input_shape,
                 "params", found)
    assert found == ["params.Nope: not a member of DescribeAlarmsInput"]


def test_the_response_check_finds_keys_the_model_does_not_have(account, checker) -> None:
    account.boto("cloudwatch").put_metric_alarm(
        AlarmName="a", MetricName="Errors", Namespace="AWS/Lambda", Statistic="Sum", Period=60,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    cw = account.aws.client(account.target, "eu-west-1", "cloudwatch")
    account.aws.assume(account.target)
    with account.aws.acting_as(account.target):
        answer = cw.describe_alarms(MaxRecords=100)
    alarm = answer["MetricAlarms"][0]
    assert alarm["AlarmName"] == "a" and checker.violations == []  # model keys: fine
    copy = CopyingDict(alarm)
    copy["__tags"] = {}
    copy.get("__tags")  # a key the crawler wrote: its own
    copy.get("AlarmNam")  # a typo, through a copy
    answer.get("Alarms")  # not DescribeAlarms' output
    assert [(op, what) for op, _, what in checker.violations] == [
        ("cloudwatch:DescribeAlarms", "reads 'AlarmNam', not a member of MetricAlarm"),
        ("cloudwatch:DescribeAlarms", "reads 'Alarms', not a member of DescribeAlarmsOutput"),
    ]
