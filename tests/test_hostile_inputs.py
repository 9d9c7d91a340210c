"""Issue 15: nothing silently lost, no personal data in an error, a log or an issue value,
and input shown on the terminal as text.

The small fixture (tests/fixtures/small) has 6 episodes and 14 case events; every variant
below must read all of them (or refuse the file in one line), never fewer in silence.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
from hostile_kit import (
    AUDIT,
    CHILDREN,
    KEY,
    NAMES,
    invoke,
    no_personal_data,
    one_line_error,
    rows_of,
    small,
    workbook_from,
    write_rows,
)

EPISODES, EVENTS = 6, 14


def tables(out: str) -> dict:
    return json.loads(out)["summary"]["tables"]


def audit_json(data: Path, *extra: str) -> tuple[int, dict | None, str]:
    code, out, err = invoke("audit", "--data", str(data), *CHILDREN, "--format", "json", *extra)
    return code, (json.loads(out) if code == 0 else None), err


def assert_all_read(doc: dict) -> None:
    t = doc["summary"]["tables"]
    assert t["episodes"]["read"] == EPISODES, t
    assert t["case_events"]["read"] == EVENTS, t
    for name, row in t.items():
        assert row["read"] == row["used"] + row["rejected"], (name, row)


# --------------------------------------------------------------------------------------
# Line endings, title lines, encodings


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
@pytest.mark.parametrize("source", ["canonical", "auto"])
def test_any_line_ending(tmp_path: Path, newline: str, source: str) -> None:
    data = small(tmp_path)
    for name in ("episodes.csv", "case_events.csv"):
        write_rows(data / name, rows_of(data / name), newline=newline)
    code, doc, err = audit_json(data, "--source", source)
    assert code == 0, err
    assert_all_read(doc)


MOSAIC = Path(__file__).parent.parent / "sample_data" / "mosaic"


def _mosaic_tables(data: Path) -> dict:
    code, out, err = invoke(
        "audit", "--data", str(data), "--ruleset", "lambeth", "--as-of", "2026-10-31",
        "--format", "json", "--limit", "0",
    )  # fmt: skip
    assert code == 0, err
    return json.loads(out)["summary"]["tables"]


@pytest.fixture(scope="module")
def mosaic_plain() -> dict:
    return _mosaic_tables(MOSAIC)


@pytest.mark.parametrize(
    "control", ["\f", "\u2028", "\u001e", "\v", "\x1c", "\u0085", "\u2029", ""], ids=repr
)
def test_control_characters_in_a_title_line_lose_no_row(
    tmp_path: Path, control: str, mosaic_plain: dict
) -> None:
    """A report title above an export's header, holding a character that some line
    splitters treat as a line break: the header is still found and every row is read."""
    import shutil

    data = tmp_path / "mosaic"
    shutil.copytree(MOSAIC, data)
    notes = data / "case notes.csv"
    text = notes.read_text(encoding="utf-8-sig")
    notes.write_text(
        f"Case notes report{control}run 31/10/2026\n\n" + text, encoding="utf-8", newline=""
    )
    assert _mosaic_tables(data) == mosaic_plain


def test_mixed_utf8_and_cp1252_is_never_mojibake(tmp_path: Path) -> None:
    """One line in UTF-8, another in Windows-1252: each decoded as itself, or the file
    refused naming the line; never 'Ã‰quipe'."""
    data = small(tmp_path)
    rows = rows_of(data / "episodes.csv")
    rows[1][4] = "Équipe Nord"
    rows[2][4] = "Équipe Sud"
    lines = [",".join(r) for r in rows]
    body = b"\n".join(line.encode("cp1252" if i == 2 else "utf-8") for i, line in enumerate(lines))
    (data / "episodes.csv").write_bytes(body + b"\n")
    code, out, err = invoke("audit", "--data", str(data), *CHILDREN, "--format", "json")
    assert "Ã" not in out
    if code == 2:
        assert "line 3" in one_line_error(code, err)
        return
    assert code == 0, err
    doc = json.loads(out)
    assert_all_read(doc)
    teams = {f.get("team") for f in doc["findings"]}
    assert "Équipe Nord" in teams or "Équipe Sud" in teams


@pytest.mark.parametrize(
    "encoding", ["utf-16", "utf-16-le+bom", "utf-16-be+bom", "utf-16-le", "utf-16-be", "utf-8-sig"]
)
@pytest.mark.parametrize("source", ["canonical", "auto"])
def test_utf16_either_way_with_or_without_bom(tmp_path: Path, encoding: str, source: str) -> None:
    data = small(tmp_path)
    for name in ("episodes.csv", "case_events.csv"):
        text = (data / name).read_text(encoding="utf-8")
        enc = encoding.removesuffix("+bom")
        raw = text.encode(enc)
        if encoding.endswith("+bom"):
            raw = (codecs.BOM_UTF16_LE if "le" in enc else codecs.BOM_UTF16_BE) + raw
        (data / name).write_bytes(raw)
    code, doc, err = audit_json(data, "--source", source)
    assert code == 0, err
    assert_all_read(doc)


# --------------------------------------------------------------------------------------
# Two candidates for one table


def test_two_files_naming_the_same_table_ignoring_case(tmp_path: Path) -> None:
    data = small(tmp_path)
    (data / "Episodes.csv").write_text(
        "\n".join((data / "episodes.csv").read_text().splitlines()[:3]) + "\n"
    )
    for source in ("canonical", "auto"):
        code, _out, err = invoke(
            "audit", "--data", str(data), *CHILDREN, "--source", source, "--format", "json"
        )
        # an input error naming both, or a loud warning: never a silent choice
        if code == 2:
            line = one_line_error(code, err)
            assert "Episodes.csv" in line and "episodes.csv" in line
        else:
            assert code == 0
            assert "warning" in err.lower() and "Episodes.csv" in err, err


def test_a_hidden_sheet_never_silently_wins(tmp_path: Path) -> None:
    data = small(tmp_path)
    stale = rows_of(data / "episodes.csv")[:3]
    book = workbook_from(data, tmp_path / "data.xlsx", hidden={"Episodes ": stale})
    for source in ("canonical", "auto"):
        code, out, err = invoke(
            "audit", "--data", str(book), *CHILDREN, "--source", source, "--format", "json"
        )
        if code == 2:
            assert "hidden" in one_line_error(code, err)
        else:
            assert code == 0, err
            assert "hidden" in err.lower(), err
            doc = json.loads(out)
            assert doc["summary"]["tables"]["episodes"]["read"] == EPISODES
            assert "Episodes " not in doc["summary"]["tables"]["episodes"]["file"]


def test_a_hidden_sheet_alone_is_read_with_a_warning(tmp_path: Path) -> None:
    data = small(tmp_path)
    book = workbook_from(
        data, tmp_path / "data.xlsx", hidden={"extra": [["note"], ["hidden working"]]}
    )
    code, _out, err = invoke("audit", "--data", str(book), *CHILDREN, "--format", "json")
    assert code == 0, err
    assert "hidden" in err.lower() and "extra" in err


# --------------------------------------------------------------------------------------
# Durations


@pytest.mark.parametrize("minutes", ["-90", "-1", "100000", "99999999"])
def test_negative_or_absurd_durations_are_data_issues(tmp_path: Path, minutes: str) -> None:
    from supervision_audit.sources.canonical import load_canonical

    folder = tmp_path / "staff"
    folder.mkdir()
    (folder / "workers.csv").write_text("worker_id,start_date\nW1,2024-01-01\n", encoding="utf-8")
    (folder / "worker_sessions.csv").write_text(
        "worker_id,date,duration_minutes\nW1,2024-02-01,90\nW1,2024-03-01," + minutes + "\n",
        encoding="utf-8",
    )
    data = load_canonical(folder, tables=("workers", "worker_sessions"))
    issues = data.issues.filter(data.issues["column"] == "duration_minutes")
    assert issues.height == 1, issues
    assert issues["row"].to_list() == [3]
    assert issues["action"].to_list() == ["warning"]  # the session still counts as held
    assert data.tables["worker_sessions"].frame["duration_minutes"].to_list() == [90, None]
    t = data.tables["worker_sessions"]
    assert t.rows_read == t.frame.height + t.rows_rejected


# --------------------------------------------------------------------------------------
# Personal data never in an error, a log, an issue or the Mapping sheet


def _headerless(tmp_path: Path) -> Path:
    data = small(tmp_path)
    lines = (data / "episodes.csv").read_text().splitlines()
    (data / "episodes.csv").write_text("\n".join(lines[1:]) + "\n")
    return data


@pytest.mark.parametrize("source", ["canonical", "auto"])
@pytest.mark.parametrize("command", ["audit", "due", "inspect"])
def test_a_headerless_file_never_prints_its_first_row(
    tmp_path: Path, source: str, command: str
) -> None:
    data = _headerless(tmp_path)
    args = [command, "--data", str(data), "--source", source]
    if command != "inspect":
        args += AUDIT
    code, out, err = invoke(*args)
    no_personal_data(err)
    no_personal_data(out)
    assert "C001" not in err and "C001" not in out
    if code == 2:
        line = one_line_error(code, err)
        assert "person_id" in line  # the expected columns are named


def test_a_headerless_file_in_the_batch_log_and_summary(tmp_path: Path) -> None:
    _headerless(tmp_path)
    cfg = tmp_path / "batch.yaml"
    cfg.write_text(
        "audits:\n  - name: a\n    data: data\n    ruleset: dorset\n    as_of: 2024-06-30\n"
        "    scope: children\n",
        encoding="utf-8",
    )
    summary = tmp_path / "summary.json"
    code, _out, err = invoke("batch", str(cfg), "--jobs", "1", "--summary", str(summary))
    assert code == 2
    no_personal_data(err)
    no_personal_data(summary.read_text())
    assert "C001" not in summary.read_text()


def test_a_headerless_file_in_the_mapping_sheet_and_inspect_json(tmp_path: Path) -> None:
    """A folder of exports where one file has lost its header: the Mapping report (inspect
    and the workbook's Mapping sheet) gives counts and positions, never the row's cells."""
    import shutil

    data = tmp_path / "mosaic"
    shutil.copytree(Path(__file__).parent.parent / "sample_data" / "mosaic", data)
    persons = data / "persons.csv"
    lines = persons.read_text(encoding="utf-8-sig").splitlines()
    first = lines[1]
    persons.write_text("\n".join(lines[1:]) + "\n", encoding="utf-8")
    _code, out, err = invoke("inspect", "--data", str(data), "--format", "json")
    cells = [c for c in first.split(",") if len(c) > 3]
    for cell in cells:
        assert cell not in out and cell not in err, cell
    out_xlsx = tmp_path / "a.xlsx"
    _code2, _o, err2 = invoke(
        "audit",
        "--data",
        str(data),
        "--ruleset",
        "lambeth",
        "--as-of",
        "2026-10-31",
        "--output",
        str(out_xlsx),
        "--format",
        "json",
    )
    if out_xlsx.exists():
        import openpyxl

        wb = openpyxl.load_workbook(out_xlsx, read_only=True)
        text = "\n".join(
            str(v)
            for ws in wb.worksheets
            for row in ws.iter_rows(values_only=True)
            if ws.title == "Mapping"
            for v in row
            if v is not None
        )
        for cell in cells:
            assert cell not in text, cell
    for cell in cells:
        assert cell not in err2


def _ragged(tmp_path: Path) -> Path:
    """A row with one field missing: the name shifts into flags, the birth date into the
    name column..."""
    data = small(tmp_path)
    with (data / "episodes.csv").open("a", encoding="utf-8") as fh:
        fh.write("C099,CIN,2024-01-01,North,W1,,Zebedee Quixotic,04/05/2016\n")
    return data


@pytest.mark.parametrize("extra", [[], ["--pseudonymise"]])
def test_a_row_that_does_not_fit_the_header_has_its_values_withheld(
    tmp_path: Path, extra: list[str]
) -> None:
    data = _ragged(tmp_path)
    code, out, err = invoke(
        "audit",
        "--data",
        str(data),
        *CHILDREN,
        "--format",
        "json",
        *extra,
        env={"SUPERVISION_AUDIT_KEY": KEY},
    )
    assert code == 0, err
    doc = json.loads(out)
    ragged = [i for i in doc["data_issues"] if i["row"] == 8]
    assert ragged, doc["data_issues"]
    for issue in ragged:
        no_personal_data(json.dumps(issue))
    no_personal_data(err)


def test_personal_column_values_are_withheld_in_issues(tmp_path: Path) -> None:
    data = small(tmp_path)
    rows = rows_of(data / "episodes.csv")
    rows[1][8] = "Zebedee Quixotic"  # a name in the date-of-birth column: a bad date
    write_rows(data / "episodes.csv", rows)
    code, out, err = invoke("audit", "--data", str(data), *CHILDREN, "--format", "json")
    assert code == 0, err
    no_personal_data(out.split('"data_issues"', 1)[1])


# --------------------------------------------------------------------------------------
# The terminal shows input as text

HOSTILE_TEXT = (
    "Team [/] [bold]x[/bold] [link=http://evil.example]click[/link] \x1b[31mRED\x1b[0m\x07"
)


def _markup_data(tmp_path: Path) -> Path:
    data = small(tmp_path)
    rows = rows_of(data / "episodes.csv")
    for row in rows[1:]:
        row[4] = HOSTILE_TEXT
        row[5] = "W[/]1"
    write_rows(data / "episodes.csv", rows)
    rows = rows_of(data / "case_events.csv")
    for row in rows[1:]:
        row[3] = "W[/]1"
    write_rows(data / "case_events.csv", rows)
    return data


@pytest.mark.parametrize(
    "command",
    [
        ["audit", *CHILDREN, "--limit", "0"],
        ["audit", *CHILDREN, "--team", HOSTILE_TEXT],
        ["due", *AUDIT, "--scope", "children"],
        ["sample", *AUDIT, "--children-per-worker", "3", "--seed", "1"],
        ["explain", "C001", *AUDIT],
        ["inspect"],
    ],
    ids=["audit", "audit-team", "due", "sample", "explain", "inspect"],
)
def test_markup_and_escapes_from_data_are_shown_as_text(tmp_path: Path, command: list) -> None:
    data = _markup_data(tmp_path)
    args = [command[0], "--data", str(data), *command[1:]]
    if command[0] == "explain":
        args = ["explain", "C001", "--data", str(data), *command[2:]]
    code, out, err = invoke(*args)
    assert code in (0, 2), err
    assert "MarkupError" not in err and "internal error" not in err
    for stream in (out, err):
        assert "\x1b" not in stream
        assert "\x07" not in stream
        assert "\x1b]8;" not in stream  # no terminal hyperlink
    if code == 0 and command[0] in ("audit", "due", "explain"):
        assert "[/]" in out or "W[/]1" in out or "[link=" in out


def test_names_never_reach_stderr_on_any_failure(tmp_path: Path) -> None:
    data = small(tmp_path)
    (data / "case_events.csv").write_bytes(b"\xff\xfe\x00garbage" + NAMES[0].encode())
    code, _out, err = invoke("audit", "--data", str(data), *CHILDREN)
    assert code in (0, 2)
    no_personal_data(err)
