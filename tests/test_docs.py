"""The README and docs/ stay true: every setting, command and page is documented, and every
setting, command, option, `make` target, script and link they mention exists.

The command list is read from the real argparse parser, so a new command fails here until the
README's command-line table has a row for it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from competiscan.cli import build_parser
from competiscan.settings import SETTING_NAMES

ROOT = Path(__file__).parents[1]
README_PATH = ROOT / "README.md"
README = README_PATH.read_text(encoding="utf-8")
DOC_PATHS = sorted((ROOT / "docs").glob("*.md"))
DOCS = {path: path.read_text(encoding="utf-8") for path in [README_PATH, *DOC_PATHS]}
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")

README_MAX_LINES = 160


def _subparsers() -> dict:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return dict(sub.choices)


COMMANDS = _subparsers()


def _code(text: str) -> list[str]:
    """The text of fenced code blocks and inline code spans: where commands are written."""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M)
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", text, flags=re.S | re.M)
    return blocks + re.findall(r"`([^`\n]+)`", prose)


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _cli_rows() -> dict[str, list[str]]:
    """README command-line table: subcommand -> the first cell of each of its rows."""
    rows: dict[str, list[str]] = {}
    for cell in re.findall(r"^\| `(competiscan [^`]*)` \|", README, flags=re.M):
        rows.setdefault(cell.split()[1], []).append(cell)
    return rows


def _filter_options() -> list[str]:
    """The options the README's FILTERS placeholder stands for."""
    match = re.search(r"^FILTERS are (.*?)(?:\n\n|\n\|)", README, flags=re.S | re.M)
    return re.findall(r"--[a-z][a-z-]*", match.group(1)) if match else []


# ------------------------------------------------------------------ everything is documented
@pytest.mark.parametrize("name", sorted(SETTING_NAMES))
def test_setting_is_in_the_readme_settings_table(name):
    assert re.search(rf"^\| `{name}` \|", README, flags=re.M), (
        f"setting {name} has no row in the README's settings table")


@pytest.mark.parametrize("name", sorted(n for n, (_a, default, _d) in SETTING_NAMES.items()
                                        if default is not None))
def test_setting_default_is_the_documented_one(name):
    row = re.search(rf"^\| `{name}` \| (.*?) \|", README, flags=re.M)
    default = SETTING_NAMES[name][1]
    assert row and f"`{default}`" in row.group(1), f"{name}: the README should say {default!r}"


@pytest.mark.parametrize("variable", re.findall(r"^([A-Z_]+) \?=", MAKEFILE, flags=re.M))
def test_make_variable_is_documented(variable):
    # What a user may set on the make command line (PORT, PYTHON), shown as it is written.
    assert f"{variable}=" in README, f"`make ... {variable}=...` is not shown in the README"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_command_is_in_the_readme_cli_table(command):
    assert command in _cli_rows(), (
        f"`competiscan {command}` has no row in the README's command-line table")


def test_readme_gives_the_two_commands():
    assert "make run" in README and "make test" in README


def test_every_page_is_in_the_readme():
    url_paths = re.findall(r'url_path="([^"]+)"', (ROOT / "app.py").read_text(encoding="utf-8"))
    assert url_paths
    for url_path in url_paths:
        assert re.search(rf"^\| [^|]+ \| `/{url_path}[`?]", README, flags=re.M), (
            f"page /{url_path} has no row in the README's pages table")


# ------------------------------------------------------------------ everything mentioned exists
def test_documented_options_exist():
    filters = _filter_options()
    everywhere = {o for a in build_parser()._actions for o in a.option_strings}  # e.g. --as
    for command, cells in _cli_rows().items():
        assert command in COMMANDS, f"README documents `competiscan {command}`, which is gone"
        known = everywhere | {o for a in COMMANDS[command]._actions for o in a.option_strings}
        for cell in cells:
            options = re.findall(r"(?<![\w-])--[a-z][a-z-]*", cell)
            if "FILTERS" in cell:
                assert filters, "the README uses FILTERS without saying what it stands for"
                options += filters
            missing = sorted(set(options) - known)
            assert not missing, f"`{cell}`: {command} has no option {', '.join(missing)}"


def test_commands_mentioned_in_the_docs_exist():
    for path, text in DOCS.items():
        for code in _code(text):
            for command in re.findall(r"(?<![\w/.:@-])competiscan ([a-z][a-z-]*)", code):
                assert command in COMMANDS, f"{_name(path)}: `competiscan {command}` is not a command"


def test_settings_mentioned_in_the_docs_exist():
    for path, text in DOCS.items():
        for name in set(re.findall(r"\b(?:COMPETISCAN|OPENAI)_[A-Z_]*[A-Z]\b", text)):
            if name.startswith("COMPETISCAN_TEST_"):   # the test suite's own variables
                continue
            assert name in SETTING_NAMES, f"{_name(path)}: {name} is not a setting"


def _make_targets() -> set[str]:
    return {target for line in MAKEFILE.splitlines()
            if (match := re.match(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", line))
            for target in [match.group(1)]}


def test_make_targets_mentioned_exist():
    targets = _make_targets()
    assert {"run", "test"} <= targets
    for path, text in DOCS.items():
        for code in _code(text):
            for target in re.findall(r"\bmake\s+(?:[A-Z_]+=\S*\s+)*([a-z][\w.-]*)", code):
                assert target in targets, f"{_name(path)}: `make {target}` is not a target"


def test_scripts_mentioned_exist():
    for path, text in DOCS.items():
        for script in set(re.findall(r"(bench/[a-z0-9_]+\.py|\.ci/[a-z0-9_]+)\b", text)):
            assert (ROOT / script).is_file(), f"{_name(path)}: {script} does not exist"


def test_source_files_mentioned_exist():
    # `store/base.py`, `competiscan/allocator.py`, `lib/competiscan/settings.py`, `app.py`: from
    # the checkout, the package or lib/.
    bases = [ROOT, ROOT / "lib", ROOT / "lib" / "competiscan"]
    for path, text in DOCS.items():
        for code in _code(text):
            for source in re.findall(r"^[\w./-]+\.py$", code.strip()):
                assert any((base / source).is_file() for base in bases), (
                    f"{_name(path)}: {source} does not exist")


def _anchor(heading: str) -> str:
    """GitHub's id for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    return {_anchor(h) for h in re.findall(r"^#+ (.+)$", path.read_text(encoding="utf-8"),
                                              flags=re.M)}


def test_links_resolve():
    for path, text in DOCS.items():
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):   # http:, https:, mailto:
                continue
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
            assert linked.exists(), f"{_name(path)}: link to {target} does not resolve"
            if anchor:
                assert anchor in _anchors(linked), f"{_name(path)}: no heading for #{anchor}"


def test_readme_links_to_every_docs_page():
    linked = set(re.findall(r"\]\(docs/([^)#\s]+)", README))
    unlinked = sorted(p.name for p in DOC_PATHS if p.name not in linked)
    assert not unlinked, f"docs/ pages the README does not link to: {', '.join(unlinked)}"


def test_readme_is_short():
    lines = README.count("\n")
    assert lines <= README_MAX_LINES, (
        f"README.md has {lines} lines; keep it under {README_MAX_LINES} and move detail to docs/")


def test_dockerfile_copies_files_that_exist():
    # The image cannot be built here (no Docker); its COPY sources must at least exist (a
    # renamed folder once left `COPY pages` behind).
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if line.startswith("COPY "):
            *sources, _target = line.split()[1:]
            for source in sources:
                assert (ROOT / source).exists(), f"Dockerfile: {line!r}: {source} is missing"
