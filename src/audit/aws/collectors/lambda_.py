"""Lambda: functions with runtime, package type and environment variable NAMES (values dropped;
Lambda environment values are plaintext, so a secret-looking name is a finding).

`Environment.Error` means Lambda could not read (decrypt) the variables: their names are then
unknown (`env_var_names` null, `env_error` the error code), not "no variables"
(https://docs.aws.amazon.com/lambda/latest/api/API_EnvironmentResponse.html).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from audit.aws.collectors.base import Collector, Ctx, Rows, operations, pages, resource_row, secret_findings


def get_functions(ctx: Ctx) -> list[dict[str, Any]]:
    lam = ctx.client("lambda")
    functions = pages(lam, "list_functions", "Functions")
    out = []
    for f in functions:
        f = dict(f)
        f["__env_names"], f["__env_error"] = env_names(f.pop("Environment", None))  # values dropped here
        arn = f["FunctionArn"]
        f["__tags"] = ctx.tags_for(arn, "ListTags", lambda a=arn: lam.list_tags(Resource=a).get("Tags"))
        out.append(f)
    return out


def env_names(environment: Mapping[str, Any] | None) -> tuple[list[str] | None, str | None]:
    """(variable names, error code) of a function's EnvironmentResponse: names only, never values;
    None names when `Error` says the variables could not be read."""
    environment = environment or {}
    error = environment.get("Error")
    if error:
        return None, str(error.get("ErrorCode") or "unknown")
    return sorted(environment.get("Variables") or {}), None


def _modified(value: Any) -> datetime | None:
    """LastModified is a string ("2024-05-01T10:00:00.000+0000"; emulators add nanoseconds)."""
    if not value:
        return None
    try:
        ts = pd.Timestamp(value)
    except ValueError:
        return None
    return (ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")).to_pydatetime()


def transform(functions: list[Mapping[str, Any]], ctx: Ctx) -> Rows:
    rows, findings = [], []
    for f in functions:
        rows.append(resource_row(ctx, f["FunctionArn"], f["FunctionName"], f.get("__tags"), runtime=f.get("Runtime"),
                                 package_type=f.get("PackageType", "Zip"), handler=f.get("Handler"),
                                 memory_mb=f.get("MemorySize"), last_modified=_modified(f.get("LastModified")),
                                 env_var_names=f["__env_names"], env_error=f.get("__env_error")))
        findings += secret_findings(ctx.where, "lambda", f["FunctionArn"], f["FunctionName"], f["__env_names"] or [])
    return {"lambda_functions": rows, "findings": findings}


def collect(ctx: Ctx) -> Rows:
    return transform(get_functions(ctx), ctx)


COLLECTOR = Collector("lambda", collect, ("lambda_functions", "findings"),
                      operations("lambda", "ListFunctions", "ListTags"), bulk_tags=("lambda",))
