"""What every config model shares: a strict frozen base, located errors, and validation that names file:line.

Every config kind is a pydantic model on `Model`; `validate_model` turns the first pydantic error into
one `ConfigError` naming file, line and field (exit code 2).
"""

from __future__ import annotations

import os
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from audit.errors import ConfigError
from audit.names import ACCOUNT_ID_PATTERN, REGION_PATTERN
from audit.yamlfile import LocatedYaml, dotted, load_yaml

# field types several kinds share
AccountId = Annotated[str, StringConstraints(pattern=ACCOUNT_ID_PATTERN)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\- ]*$")]
Region = Annotated[str, StringConstraints(pattern=REGION_PATTERN)]


class Model(BaseModel):
    """Unknown keys are errors (a typo never silently does nothing); loaded config never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Located(ValueError):
    """A validator error that knows the exact location of the offending value."""

    def __init__(self, message: str, loc: tuple) -> None:
        super().__init__(message)
        self.loc = loc


M = TypeVar("M", bound=BaseModel)


def unique(items: list[Any], attr: str, where: str) -> None:
    """Refuse two items with the same `attr`, pointing at the second."""
    seen: dict[Any, int] = {}
    for i, item in enumerate(items):
        value = getattr(item, attr)
        if value in seen:
            raise Located(f"duplicate {attr} {value!r} (also {where}[{seen[value]}])", (where, i, attr))
        seen[value] = i


def _explain(err: dict[str, Any]) -> str:
    kind, msg = err.get("type", ""), err.get("msg", "")
    value = err.get("input")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "string_type" and err["loc"] and err["loc"][-1] == "account_id":
        return f"expected a 12-digit account id in quotes, got {value!r}"
    if kind == "missing":
        return "required field is missing"
    if kind == "string_pattern_mismatch":
        pattern = (err.get("ctx") or {}).get("pattern", "")
        if pattern == ACCOUNT_ID_PATTERN:
            return f"expected a 12-digit account id (quote it), got {value!r}"
        return f"expected text matching {pattern}, got {value!r}"
    text = msg.removeprefix("Value error, ")
    if value is not None and not isinstance(value, dict | list) and "got" not in text:
        text += f", got {value!r}"
    return text


def validate_model(model: type[M], doc: LocatedYaml) -> M:
    """Validate a located document; the first error becomes a ConfigError naming file:line and field."""
    if not isinstance(doc.data, dict):
        raise ConfigError(f"expected a mapping at the top level, got {type(doc.data).__name__}",
                          file=doc.file, line=1)
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(err["loc"])
        located = (err.get("ctx") or {}).get("error")
        if isinstance(located, Located):
            loc = loc + tuple(located.loc)
        # pydantic reports union members as extra loc parts ("list[...]", "literal[...]"): drop them
        loc = tuple(p for p in loc if isinstance(p, int) or not (("[" in p) or p.startswith("function-")))
        message = _explain(err)
        if isinstance(located, Located):
            message = str(located)
        field = dotted(loc) if loc else None
        raise ConfigError(message, file=doc.file, line=doc.line_of(loc), field=field) from None


def load_model(model: type[M], path: str | os.PathLike) -> M:
    return validate_model(model, load_yaml(path))


