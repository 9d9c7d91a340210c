"""The QA officers' guide (docs/guide.md) cannot go stale: every `supervision-audit` command
in it is run here, from a folder holding the sample as the guide describes, and must succeed
and write what it says; the wheel build command runs and gives the file name the install
steps use; `python -m supervision_audit` (the no-PATH form) works. The platform installers
(winget, brew, apt-get, pipx) cannot run on the test machine: the test pins them to the
wheel it builds."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supervision_audit._version import __version__
from supervision_audit.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "guide.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)
WHEEL = f"supervision_audit-{__version__}-py3-none-any.whl"


def blocks(lang: str) -> list[str]:
    return [body for kind, body in BLOCK.findall(GUIDE.read_text()) if kind == lang]


def commands() -> list[str]:
    return [line.strip() for body in blocks("sh") for line in body.splitlines() if line.strip()]


def tool_commands() -> list[str]:
    return [c for c in commands() if c.startswith("supervision-audit ")]


def test_the_readme_links_the_guide_first() -> None:
    readme = (ROOT / "README.md").read_text()
    first_link = re.search(r"\]\(([^)]+)\)", readme)
    assert first_link and first_link.group(1) == "docs/guide.md"


def test_every_shell_command_is_one_the_tests_run() -> None:
    others = [c for c in commands() if not c.startswith("supervision-audit ")]
    assert others == ["python3 -m pip wheel --no-deps -w dist ."]
    assert len(tool_commands()) >= 10


@pytest.fixture()
def officer_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "sample_data").symlink_to(ROOT / "sample_data", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "100")
    return tmp_path


def test_every_command_in_the_guide_runs(officer_folder: Path) -> None:
    runner = CliRunner()
    for line in tool_commands():
        args = shlex.split(line)[1:]
        result = runner.invoke(app, args, catch_exceptions=False)
        assert result.exit_code == 0, (line, result.stderr)
        assert (result.stdout + result.stderr).strip(), line
        if "--output" in args:
            target = officer_folder / args[args.index("--output") + 1]
            assert target.is_file() and target.stat().st_size > 0, line
        if args[:2] == ["profiles", "new"]:
            assert (officer_folder / args[-1]).is_file()
    # the first audit's workbook opens, and has what section 3 describes
    from openpyxl import load_workbook

    sheets = load_workbook(officer_folder / "october.xlsx", read_only=True).sheetnames
    for name in ("Summary", "Children findings", "Staff findings", "Due", "Rules", "Data issues"):
        assert name in sheets
    assert "C0000126" in (officer_folder / "october.csv").read_text(encoding="utf-8-sig")


def test_install_steps_name_the_wheel_that_the_build_makes(tmp_path: Path) -> None:
    """`pip wheel` (as the guide has IT run it) builds the file the install steps install."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=600,
    )
    assert [p.name for p in tmp_path.glob("*.whl")] == [WHEEL]
    installs = blocks("powershell") + blocks("text")
    assert all(WHEEL in body for body in installs) and len(installs) == 2
    assert WHEEL in GUIDE.read_text()


def test_the_no_path_form_runs() -> None:
    """`py -m supervision_audit` / `python3 -m supervision_audit`, for a --user install."""
    done = subprocess.run(
        [sys.executable, "-m", "supervision_audit", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and __version__ in done.stdout
    assert "py -m supervision_audit" in GUIDE.read_text()
