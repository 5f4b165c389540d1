"""The README documents every setting and every CLI command (a missing one fails here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from competiscan.cli import build_parser
from competiscan.settings import SETTING_NAMES

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(sub.choices)


@pytest.mark.parametrize("name", sorted(SETTING_NAMES))
def test_setting_is_documented(name):
    assert f"`{name}`" in README


@pytest.mark.parametrize("command", _commands())
def test_command_is_documented(command):
    assert f"competiscan {command}" in README


def test_readme_gives_the_two_commands():
    assert "make run" in README and "make test" in README


def test_dockerfile_copies_files_that_exist():
    # The image cannot be built here (no Docker); its COPY sources must at least exist (a
    # renamed folder once left `COPY pages` behind).
    root = Path(__file__).parents[1]
    for line in (root / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if line.startswith("COPY "):
            *sources, _target = line.split()[1:]
            for source in sources:
                assert (root / source).exists(), f"Dockerfile: {line!r}: {source} is missing"
