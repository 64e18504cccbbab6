"""One exception tree: every error cicd-audit raises on purpose is an AuditError defined in audit.errors."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import audit.errors as errors

SRC = Path(errors.__file__).resolve().parent
# Exception classes defined outside errors.py -> why they may be. Shrinks; delete an entry once it is gone.
ALLOWED_ELSEWHERE = {
    "audit/config/base.py:Located": "a pydantic validator's signal, turned into ConfigError by load_model",
}
_BUILTIN_BASES = {"Exception", "BaseException", "ValueError", "RuntimeError", "LookupError", "KeyError",
                  "TypeError", "OSError"}


def tree() -> list[type[BaseException]]:
    return [c for _, c in inspect.getmembers(errors, inspect.isclass)
            if issubclass(c, BaseException) and c.__module__ == errors.__name__]


def test_every_error_is_an_audit_error_with_a_one_line_docstring_and_an_exit_code() -> None:
    assert errors.AuditError in tree() and len(tree()) > 5
    for cls in tree():
        assert issubclass(cls, errors.AuditError), cls
        doc = cls.__doc__ or ""
        assert doc.strip() and "\n" not in doc.strip(), f"{cls.__name__}: one-line docstring"
        assert isinstance(cls.exit_code, int) and cls.exit_code in (1, 2), cls
        assert cls.__name__ in (errors.__doc__ or ""), f"{cls.__name__} is missing from the tree in errors.py"


def test_exit_codes() -> None:
    assert errors.ConfigError("x").exit_code == 2
    assert errors.GitError("git clone: no such repository", "unreachable").exit_code == 1
    assert errors.NotebookError("01_x", 3, "1/0", "ZeroDivisionError", "division by zero").exit_code == 1


def elsewhere() -> dict[str, int]:
    """Exception classes defined in src/audit outside errors.py (by file:class -> line)."""
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "errors.py" and path.parent == SRC:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else ""
                         for b in node.bases}
                if bases & _BUILTIN_BASES or any(b.endswith(("Error", "Violation", "Exception")) for b in bases):
                    out[f"{path.relative_to(SRC.parent).as_posix()}:{node.name}"] = node.lineno
    return out


def test_no_exception_class_outside_errors_py() -> None:
    found = elsewhere()
    new = sorted(set(found) - set(ALLOWED_ELSEWHERE))
    stale = sorted(set(ALLOWED_ELSEWHERE) - set(found))
    assert not new, f"define these in src/audit/errors.py (one tree): {new}"
    assert not stale, f"gone from the code, delete from ALLOWED_ELSEWHERE in tests/test_errors.py: {stale}"
