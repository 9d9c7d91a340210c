"""The house you can see from the door: no import circles, and the package works installed
from its wheel (rulesets, policy texts and profiles are package data)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import grimp
import pytest
from typer.testing import CliRunner

from supervision_audit.cli import app

ROOT = Path(__file__).resolve().parents[1]


def import_cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), counting imports made
    inside functions too: a module that imports a module that imports it back."""
    modules = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & set(modules)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for m in modules:
        if m not in index:
            visit(m)
    return groups


def test_no_module_imports_a_module_that_imports_it_back() -> None:
    # Imports under `if TYPE_CHECKING:` are annotations only: they never run.
    graph = grimp.build_graph("supervision_audit", exclude_type_checking_imports=True)
    assert import_cycles(graph, "supervision_audit") == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for m in ("p", "p.a", "p.b", "p.c"):
        graph.add_module(m)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.a")
    graph.add_import(importer="p.c", imported="p.a")
    assert import_cycles(graph, "p") == [["p.a", "p.b"]]


AUDIT = ["--data", str(ROOT / "sample_data"), "--ruleset", "lambeth", "--as-of", "2026-10-31"]


@pytest.mark.slow
def test_the_wheel_installs_and_audits_like_the_editable_install(tmp_path: Path) -> None:
    """Build the wheel, install it into a new venv outside the repo, and audit from there."""
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip"]
    subprocess.run(
        [*pip, "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("supervision_audit-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
    )
    exe = str(bin_dir / "supervision-audit")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    installed = subprocess.run(
        [exe, "audit", *AUDIT, "--format", "json"],
        capture_output=True,
        cwd=tmp_path,
        env=env,
    )
    assert installed.returncode == 0, installed.stderr.decode()
    editable = CliRunner().invoke(app, ["audit", *AUDIT, "--format", "json"])
    assert editable.exit_code == 0
    assert json.loads(installed.stdout)["findings"] == json.loads(editable.stdout)["findings"]
    assert installed.stdout == editable.stdout_bytes
    listed = subprocess.run(
        [exe, "rulesets", "list", "--json"], capture_output=True, cwd=tmp_path, env=env
    )
    assert listed.returncode == 0, listed.stderr.decode()
    names = {r["name"] for r in json.loads(listed.stdout)}
    assert names == {"devon", "dorset", "lambeth", "portsmouth", "worcestershire"}
    where = subprocess.run(
        [
            str(bin_dir / "python"),
            "-c",
            "import supervision_audit; print(supervision_audit.__file__)",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert str(env_dir) in where.stdout
