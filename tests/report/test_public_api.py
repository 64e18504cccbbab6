"""audit.report's exported names are a promise (and importing `sections` stays light for the kernel)."""

import subprocess
import sys

import audit.report


def test_report_exports() -> None:
    assert audit.report.__all__ == ["NotebookError", "build_report", "export_report", "verify_offline",
                                    "write_backlog"]
    for name in audit.report.__all__:
        assert callable(getattr(audit.report, name)), name


def test_sections_do_not_import_nbconvert_or_papermill() -> None:
    code = ("import sys, audit.report.sections; "
            "print(sorted(m for m in ('nbconvert', 'papermill', 'boto3') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
