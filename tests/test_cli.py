"""The command line: every subcommand documents itself, and --version works."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from audit import __version__
from audit.cli import cli

SUBCOMMANDS = ["crawl", "scan", "scan-path", "analyze", "weekly", "demo", "fleet", "validate"]


def test_help_lists_every_subcommand() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in SUBCOMMANDS:
        assert f"  {name} " in result.output


@pytest.mark.parametrize("args", [[c, "--help"] for c in SUBCOMMANDS] + [["fleet", "serve", "--help"]],
                         ids=lambda a: " ".join(a))
def test_subcommand_help(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output and "--help" in result.output


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_missing_required_option_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["crawl"])
    assert result.exit_code == 2
    assert "--accounts" in result.output
