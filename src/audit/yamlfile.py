"""Safe YAML loading that remembers where every value came from.

Config errors must name file, line and field, so loading keeps a map from each value's path
(`("clients", 0, "account_id")`) to its 1-based line. Duplicate keys are an error (PyYAML
silently keeps the last one), alias expansion is capped so a "billion laughs" file cannot
exhaust memory, and nesting is capped before PyYAML's recursive composer sees the document, so a
file nested a thousand levels deep is one ConfigError, not a RecursionError.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from audit.errors import ConfigError

Loc = tuple[str | int, ...]
MAX_NODES = 200_000  # values materialised per document, aliases included
MAX_DEPTH = 64  # nested mappings/sequences; real config files use fewer than 10


class LocatedYaml:
    """A parsed YAML document plus the line of every mapping key and sequence item."""

    def __init__(self, data: Any, lines: dict[Loc, int], file: str) -> None:
        self.data, self.lines, self.file = data, lines, file

    def line_of(self, loc: Loc) -> int | None:
        """Line of the deepest known prefix of `loc` (pydantic locations may go deeper)."""
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), None)


def _construct(node: yaml.Node, loc: Loc, lines: dict[Loc, int], file: str, budget: list[int],
               loader: yaml.SafeLoader) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError(f"document expands to more than {MAX_NODES} values (alias bomb?)",
                          file=file, line=node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise ConfigError("merge keys (<<) are not supported", file=file,
                                  line=key_node.start_mark.line + 1)
            key = loader.construct_scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                raise ConfigError("mapping keys must be plain strings", file=file,
                                  line=key_node.start_mark.line + 1)
            if key in out:
                raise ConfigError(f"duplicate key {key!r}", file=file, line=key_node.start_mark.line + 1,
                                  field=_dotted((*loc, key)))
            lines[(*loc, key)] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, (*loc, key), lines, file, budget, loader)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for i, item in enumerate(node.value):
            lines[(*loc, i)] = item.start_mark.line + 1
            items.append(_construct(item, (*loc, i), lines, file, budget, loader))
        return items
    return loader.construct_object(node, deep=True)


class _Loader(yaml.SafeLoader):
    pass


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


dotted = _dotted


def _check_depth(text: str, file: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH, naming the line and the top-level key it is under.

    PyYAML's parser yields events without recursing (its composer and constructor do recurse)."""
    # one frame per open collection: [is_mapping, next node is a key, index of the next node]
    stack: list[list[Any]] = []
    top_key: str | None = None
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionEndEvent):
            stack.pop()
            continue
        if not isinstance(event, yaml.NodeEvent):
            continue  # stream/document markers
        if stack:
            frame = stack[-1]
            if frame[0] and frame[1] and len(stack) == 1 and isinstance(event, yaml.ScalarEvent):
                top_key = event.value
            if frame[0]:
                frame[1] = not frame[1]  # key, value, key, ...
        if isinstance(event, yaml.CollectionStartEvent):
            if len(stack) >= MAX_DEPTH:
                raise ConfigError(f"nested more than {MAX_DEPTH} levels deep", file=file,
                                  line=event.start_mark.line + 1, field=top_key)
            stack.append([isinstance(event, yaml.MappingStartEvent), True])


def load_yaml(path: str | os.PathLike, *, max_bytes: int = 5_000_000) -> LocatedYaml:
    """Parse one YAML file; every problem is a ConfigError naming the file and line."""
    file = str(path)
    p = Path(path)
    if not p.is_file():
        raise ConfigError("file not found", file=file)
    if p.stat().st_size > max_bytes:
        raise ConfigError(f"file is larger than {max_bytes} bytes", file=file)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})", file=file) from exc
    try:
        _check_depth(text, file)
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ConfigError(f"invalid YAML: {exc.problem or exc}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", file=file) from None
    if node is None:
        raise ConfigError("file is empty; expected a mapping", file=file, line=1)
    lines: dict[Loc, int] = {(): node.start_mark.line + 1}
    try:
        # a loader per document: it remembers every node it constructed (and is not thread-safe)
        data = _construct(node, (), lines, file, [MAX_NODES], _Loader(""))
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ConfigError(f"invalid YAML value: {exc.problem}", file=file, line=line) from None
    return LocatedYaml(data, lines, file)
