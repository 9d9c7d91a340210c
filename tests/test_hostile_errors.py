"""Issue 15: every input, option and environment error is exit 2 with one line (never an
"internal error", never a traceback): out-of-range options, YAML of any shape, malformed
previous summaries, odd file names, a closed stdout, a non-UTF-8 terminal, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_kit import AUDIT, CHILDREN, KEY, invoke, one_line_error, run_cli, small


@pytest.mark.parametrize(
    "args",
    [
        ["due", *AUDIT, "--within", "999999999d"],
        ["due", *AUDIT, "--within", "99999999999999999999w"],
        ["due", "--ruleset", "dorset", "--as-of", "9999-12-20"],
        ["audit", "--ruleset", "dorset", "--as-of", "9999-12-20", "--scope", "children"],
        ["audit", "--ruleset", "dorset", "--as-of", "0001-01-01", "--scope", "children"],
        ["audit", *CHILDREN[:2], "--as-of", "2024-06-30", "--from", "9999-12-31"],
        ["audit", *CHILDREN, "--history-from", "0001-01-01"],
        ["audit", "--ruleset", "dorset", "--as-of", "31/02/2024"],
        ["explain", "C001", "--ruleset", "dorset", "--as-of", "9999-12-20"],
        ["sample", *AUDIT, "--children-per-worker", "2", "--seed", "9" * 40],
        ["sample", *AUDIT, "--children-per-worker", "9" * 40, "--seed", "1"],
        [
            "sample",
            *AUDIT,
            "--children-per-worker",
            "2",
            "--exclude-audited-within",
            "99999999999m",
        ],
        ["audit", *CHILDREN, "--limit", "-5"],
        ["audit", *CHILDREN, "--param", "cat_review_within=999999999999d"],
    ],
    ids=lambda a: " ".join(a)[:60],
)
def test_out_of_range_options(tmp_path: Path, args: list[str]) -> None:
    data = small(tmp_path)
    code, _out, err = invoke(args[0], "--data", str(data), *args[1:])
    one_line_error(code, err)


def test_key_file_that_never_ends_is_read_with_a_cap() -> None:
    code, _out, err = run_cli(
        "audit",
        "--data",
        str(Path(__file__).parent / "fixtures" / "small"),
        *CHILDREN,
        "--pseudonymise",
        "--key-file",
        "/dev/zero",
        timeout=60,
    )
    one_line_error(code, err.decode())


def test_key_file_that_is_a_folder(tmp_path: Path) -> None:
    data = small(tmp_path)
    code, _out, err = invoke(
        "audit", "--data", str(data), *CHILDREN, "--pseudonymise", "--key-file", str(tmp_path)
    )
    one_line_error(code, err)


# --------------------------------------------------------------------------------------
# Batch YAML of any shape


def _batch(tmp_path: Path, text: str) -> tuple[int, str]:
    small(tmp_path)
    cfg = tmp_path / "batch.yaml"
    cfg.write_text(text, encoding="utf-8")
    code, _out, err = invoke("batch", str(cfg), "--jobs", "1")
    return code, err


AUDIT_YAML = (
    "audits:\n  - name: a\n    data: data\n    ruleset: dorset\n    as_of: 2024-06-30\n"
    "    scope: children\n"
)


@pytest.mark.parametrize(
    "text",
    [
        AUDIT_YAML.replace("2024-06-30", "2024-02-30"),  # an impossible bare date
        AUDIT_YAML + "    history_from: 2024-13-01\n",
        AUDIT_YAML + "    params: {personal_interval: 2024-02-30}\n",
        AUDIT_YAML.replace("2024-06-30", "9" * 5000),  # a 5,000-digit integer
        AUDIT_YAML + "    params: {x: " + "9" * 5000 + "}\n",
        AUDIT_YAML + "    thresholds: [" + "9" * 5000 + "]\n",
        "audits: " + "[" * 20000 + "]" * 20000 + "\n",  # 20,000-deep nesting
        AUDIT_YAML + "    params: " + "{a: " * 20000 + "1" + "}" * 20000 + "\n",
        "audits:\n" + "  " * 1 + "- " * 5000 + "x\n",
        "audits: &a [*a]\n",
        AUDIT_YAML + "    outputs: [1, 2]\n",
        AUDIT_YAML + "    outputs: {a: b}\n",
        AUDIT_YAML + "    thresholds: {a: b}\n",
        AUDIT_YAML + "    params: [1]\n",
        AUDIT_YAML + "    params: {a: [1, 2]}\n",
        AUDIT_YAML.replace("ruleset: dorset", "ruleset: [dorset]"),
        AUDIT_YAML.replace("data: data", "data: {a: 1}"),
        AUDIT_YAML.replace("scope: children", "scope: [children]"),
        AUDIT_YAML + "    pseudonymise_key_file: [a]\n",
        AUDIT_YAML.replace("as_of: 2024-06-30", "as_of: 2024-06-30 12:00:00 +25:00"),
        "\ufeff\x00audits: []\n",
        "audits:\n  - name: a\n    data: \udcff\n",
    ],
    ids=range(22),
)
def test_batch_yaml_of_any_shape(tmp_path: Path, text: str) -> None:
    try:
        code, err = _batch(tmp_path, text)
    except UnicodeEncodeError:  # the surrogate case cannot even be written as UTF-8
        (tmp_path / "batch.yaml").write_bytes(text.encode("utf-8", "surrogateescape"))
        code, _out, err = invoke("batch", str(tmp_path / "batch.yaml"))
    one_line_error(code, err)


@pytest.mark.parametrize(
    ("field", "written", "kept"),
    [
        ("name", "no", "no"),  # YAML 1.1 would make it False
        ("name", "010", "010"),  # ... 8
        ("name", "on", "on"),
        ("name", "1e3", "1e3"),
        ("name", "0x1F", "0x1F"),
        ("name", "12_000", "12_000"),
    ],
)
def test_batch_values_are_read_as_written(
    tmp_path: Path, field: str, written: str, kept: str
) -> None:
    """A name is a string as written: `name: no` is "no", `010` stays "010"."""
    small(tmp_path)
    cfg = tmp_path / "batch.yaml"
    cfg.write_text(
        AUDIT_YAML.replace("name: a", f"{field}: {written}") + '    outputs: ["out/{name}.json"]\n',
        encoding="utf-8",
    )
    summary = tmp_path / "summary.json"
    code, _out, err = invoke("batch", str(cfg), "--jobs", "1", "--summary", str(summary))
    assert code == 0, err
    doc = json.loads(summary.read_text())
    assert doc["audits"][0]["name"] == kept
    assert (tmp_path / "out" / f"{kept}.json").is_file()


def test_batch_param_values_are_read_as_written(tmp_path: Path) -> None:
    """params are strings as written (`4w`, `010`), never YAML 1.1 numbers or booleans."""
    import datetime as dt

    from supervision_audit.batch import load_config

    small(tmp_path)
    cfg = tmp_path / "batch.yaml"
    cfg.write_text(
        AUDIT_YAML.replace("ruleset: dorset", "ruleset: worcestershire")
        + "    params: {personal_interval: 4w, other: 010, flag: no}\n",
        encoding="utf-8",
    )
    try:
        jobs = load_config(cfg, dt.date(2024, 7, 1))
    except Exception as exc:  # an unknown parameter may be refused: never coerced
        assert "other" in str(exc) or "flag" in str(exc)
        return
    assert jobs[0].params["other"] == "010"
    assert jobs[0].params["flag"] == "no"


@pytest.mark.parametrize(
    "doc",
    [
        '{"audits": 5}',
        "[1, 2]",
        "null",
        "{" * 100000,
        "9" * 5000,
        '{"tool": "supervision-audit batch", "audits": [7]}',
        '{"tool": "supervision-audit batch", "audits": [{"name": "a", "status": "ok",'
        ' "figures": 7, "open_findings": 3}]}',
        '{"tool": "supervision-audit batch", "audits": [{"name": "a", "status": "ok",'
        ' "figures": {"children_compliance": "x"}, "open_findings": [[1]]}]}',
        '{"tool": "supervision-audit batch", "audits": [{"name": ["a"], "status": "ok"}]}',
        '{"tool": "supervision-audit batch", "audits": [{"name": "a", "status": "ok",'
        ' "figures": {"children_compliance": 1e999}, "open_findings": []}]}',
    ],
    ids=range(10),
)
def test_malformed_previous_summary(tmp_path: Path, doc: str) -> None:
    small(tmp_path)
    cfg = tmp_path / "batch.yaml"
    cfg.write_text(AUDIT_YAML, encoding="utf-8")
    prev = tmp_path / "previous.json"
    prev.write_text(doc, encoding="utf-8")
    code, _out, err = invoke("batch", str(cfg), "--jobs", "1", "--previous", str(prev))
    one_line_error(code, err)


# --------------------------------------------------------------------------------------
# File names, streams and terminals


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX byte file names")
@pytest.mark.parametrize("source", ["auto", "mosaic", "canonical"])
@pytest.mark.parametrize("command", ["audit", "inspect", "due"])
def test_non_utf8_file_name_in_the_export_folder(tmp_path: Path, source: str, command: str) -> None:
    import shutil

    data = tmp_path / "exports"
    shutil.copytree(Path(__file__).parent.parent / "sample_data" / "mosaic", data)
    os.rename(
        os.path.join(os.fsencode(data), b"case notes.csv"),
        os.path.join(os.fsencode(data), b"case notes \xe9\xff.csv"),
    )
    args = [command, "--data", str(data), "--source", source, "--format", "json"]
    if command != "inspect":
        args += ["--ruleset", "lambeth", "--as-of", "2026-10-31"]
    code, out, err = run_cli(*args)
    text = err.decode("utf-8", "replace")
    assert code in (0, 2), text
    assert "Traceback" not in text
    if code == 0:
        json.loads(out)  # the name is shown, escaped, in valid JSON
    else:
        one_line_error(code, text)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")
@pytest.mark.parametrize("fmt", ["json", "csv", "table"])
def test_closed_stdout_is_a_quiet_exit(fmt: str) -> None:
    """`... --format json | head -c 10`: no BrokenPipeError, no traceback, nothing on stderr."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "supervision_audit",
            "audit",
            "--data",
            str(Path(__file__).parent.parent / "sample_data"),
            "--ruleset",
            "lambeth",
            "--as-of",
            "2026-10-31",
            "--format",
            fmt,
            "--limit",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if k != "SUPERVISION_AUDIT_RERAISE"},
    )
    assert proc.stdout is not None
    proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read().decode() if proc.stderr else ""
    code = proc.wait(timeout=120)
    assert code in (0, 2), err
    assert err.strip() == "", err


@pytest.mark.parametrize("command", ["audit", "due", "inspect", "rulesets"])
def test_ascii_terminal_encoding_falls_back(tmp_path: Path, command: str) -> None:
    """PYTHONIOENCODING=ascii: output still appears (ASCII-safe), exit 0."""
    data = small(tmp_path)
    args = {
        "audit": ["audit", "--data", str(data), *CHILDREN],
        "due": ["due", "--data", str(data), *AUDIT],
        "inspect": ["inspect", "--data", str(data)],
        "rulesets": ["rulesets", "explain", "DOR-C1"],
    }[command]
    code, out, err = run_cli(*args, env={"PYTHONIOENCODING": "ascii"})
    assert code == 0, err
    out.decode("ascii")
    assert out.strip()


def test_pseudonymised_audit_with_a_long_key_file(tmp_path: Path) -> None:
    data = small(tmp_path)
    key = tmp_path / "k.key"
    key.write_bytes(os.urandom(5 * 1024 * 1024))
    code, _out, err = invoke(
        "audit", "--data", str(data), *CHILDREN, "--pseudonymise", "--key-file", str(key)
    )
    one_line_error(code, err)
    key.write_text(KEY)
    code, _out, err = invoke(
        "audit", "--data", str(data), *CHILDREN, "--pseudonymise", "--key-file", str(key)
    )
    assert code == 0, err


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_in_a_batch_prints_one_line_and_exits_130(tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group (the batch and its workers): one line."""
    sample = Path(__file__).parent.parent / "sample_data"
    cfg = tmp_path / "batch.yaml"
    cfg.write_text(
        "audits:\n"
        + "".join(
            f"  - name: a{i}\n    data: {sample}\n    ruleset: lambeth\n    as_of: 2026-10-31\n"
            f'    outputs: ["out/a{i}.xlsx"]\n'
            for i in range(4)
        ),
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "supervision_audit", "batch", str(cfg), "--jobs", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env={k: v for k, v in os.environ.items() if k != "SUPERVISION_AUDIT_RERAISE"},
    )
    # Ctrl-C once the batch is under way (its workers are up: the first output is written)
    deadline = time.monotonic() + 90
    while proc.poll() is None and time.monotonic() < deadline:
        if (tmp_path / "out").is_dir() and any((tmp_path / "out").glob("a*.xlsx")):
            break
        time.sleep(0.05)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
    _out, err = proc.communicate(timeout=120)
    text = err.decode("utf-8", "replace")
    if proc.returncode != 0:
        lines = [x for x in text.splitlines() if x.strip()]
        assert proc.returncode == 130, text
        assert "Traceback" not in text
        assert lines[-1] == "interrupted", text
        assert not any("KeyboardInterrupt" in x for x in lines)
    staged = [p for p in (tmp_path / "out").glob("*")] if (tmp_path / "out").exists() else []
    assert all(not p.name.startswith(".") for p in staged), staged
