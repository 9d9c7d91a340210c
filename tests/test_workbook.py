"""The Excel audit workbook: structure, real dates, printable setup, and safety.

Every produced workbook is reopened with openpyxl and checked cell by cell where it matters:
crafted input (formulas, error literals, control characters, 40,000-character text) comes
back as the exact text in a string cell, never as a formula."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from supervision_audit.report import workbook as wbmod
from tests.helpers import run_cli as run

SMALL = Path(__file__).parent / "fixtures" / "small"
HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
SAMPLE = Path(__file__).parent.parent / "sample_data"
ARGS = ["--as-of", "2024-06-30", "--history-from", "2024-01-01", "--scope", "children"]
KEY = "a-test-key-that-is-long-enough-123"
# A save that fails on purpose leaves openpyxl's write-only sheet generators unclosed.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def make(
    tmp_path: Path, data: Path = SMALL, ruleset: str = "devon", *extra: str
) -> tuple[Path, dict]:
    out = tmp_path / "audit.xlsx"
    code, stdout, err = run(
        "audit",
        "--data",
        str(data),
        "--ruleset",
        ruleset,
        *ARGS,
        "--output",
        str(out),
        "--format",
        "json",
        *extra,
    )
    assert code == 0, err
    return out, json.loads(stdout)


FINDINGS_HEADER = [
    "Child or carer",
    "Rule",
    "Requirement",
    "Due",
    "Limit",
    "Met",
    "Days overdue",
    "Severity",
    "Worker",
    "Team",
    "Supervisor",
    "Policy says (full text and source: Rules sheet)",
]


def test_sheets_headers_and_row_counts_match_json(tmp_path: Path) -> None:
    path, doc = make(tmp_path)
    wb = load_workbook(path)
    assert wb.sheetnames == [
        "Summary",
        "Children findings",
        "Due",
        "By worker",
        "By supervisor",
        "Data issues",
        "Rules",
        "Not checkable",
        "About",
    ]
    ws = wb["Children findings"]
    assert [c.value for c in ws[1]] == FINDINGS_HEADER
    assert ws.max_row - 1 == len(doc["findings"]) == 9
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:L{ws.max_row}"


def test_findings_sheets_print_one_page_wide_landscape_with_titles(tmp_path: Path) -> None:
    """The page setup a manager prints with: landscape A4, fitted to one page wide (any
    number of pages tall), the header row on every page, page and date in the footer."""
    out = tmp_path / "sample.xlsx"
    code, _, err = run(
        "audit",
        "--data",
        str(SAMPLE),
        "--ruleset",
        "lambeth",
        "--as-of",
        "2026-10-31",
        "--output",
        str(out),
        "--format",
        "json",
    )
    assert code == 0, err
    path = out
    wb = load_workbook(path)
    for name in ("Children findings", "Due", "Rules", "Summary", "Data issues"):
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape", name
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        # fitToWidth absent means 1 (the OOXML default); 0 tall means "as many as needed"
        assert ws.page_setup.fitToWidth in (None, 1, "1") and ws.page_setup.fitToHeight == 0
        assert "&P" in ws.oddFooter.center.text and "31/10/2026" in ws.oddFooter.right.text
    for name, title in (("Children findings", "$1:$1"), ("Due", "$2:$2")):
        assert wb[name].print_title_rows == title
    # column widths: about 150 character widths fit across landscape A4 at 100%, so the
    # 12 columns print at 70% or more (11 pt text at 8 pt or larger), not at 5 pt
    ws = wb["Children findings"]
    widths = [ws.column_dimensions[get_column_letter(i)].width for i in range(1, 13)]
    assert 150 / sum(widths) >= 0.7
    staff = [c.value for c in wb["Staff findings"][1]]
    assert staff[0] == "Worker" and "Worker" not in staff[1:] and len(staff) == 11


def test_dates_are_real_dates_and_worst_first(tmp_path: Path) -> None:
    path, _doc = make(tmp_path)
    ws = load_workbook(path)["Children findings"]
    col = {c.value: i for i, c in enumerate(ws[1])}
    first = [c.value for c in ws[2]]
    assert isinstance(first[col["Due"]], dt.datetime)
    due = ws.cell(2, col["Due"] + 1)
    assert due.data_type == "d" and due.number_format == "dd/mm/yyyy"
    # worst first: red, outstanding, most days overdue (C004's closure on 15 Mar 2024 had no
    # manager's oversight form by 22 Mar (DEV-C10): outstanding 100 days)
    assert (first[col["Child or carer"]], first[col["Days overdue"]], first[col["Met"]]) == (
        "C004",
        100,
        "open",
    )
    assert first[col["Severity"]] == "Red"
    assert ws.cell(2, col["Severity"] + 1).fill.fgColor.rgb == "FFF4B6B6"
    # the policy's own words, not the document title, are in the quote column
    quotes = [ws.cell(r, col[FINDINGS_HEADER[-1]] + 1).value for r in range(2, ws.max_row + 1)]
    assert all(q and "Devon" not in q for q in quotes)
    assert "At key points a Manager’s Oversight" in quotes[0]


def test_summary_has_headline_rag_definitions_and_chart(tmp_path: Path) -> None:
    path, _doc = make(tmp_path)
    ws = load_workbook(path)["Summary"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    flat = [v for row in values for v in row if v is not None]
    text = " ".join(str(v) for v in flat)
    assert "Devon County Council Children's Services" in text
    children = next(r for r in values if r and r[0] == "Children")
    assert children[1:4] == [3, 2, 66.7]
    assert len(ws._charts) == 1
    fills = {c.fill.fgColor.rgb for row in ws.iter_rows() for c in row if c.value == 66.7}
    assert fills == {"FFF4B6B6"}  # red: under 75%
    assert "No breach" in flat and "Never counted as compliant" in flat
    assert "Green: 90% or more with no breach. Amber: 75% to under 90%. Red: under 75%." in text
    by_rule = next(i for i, r in enumerate(values) if r and r[0] == "Rule")
    assert values[by_rule][:5] == ["Rule", "Findings", "Red", "Amber", "Overdue now"]


def test_rag_cut_offs_are_configurable(tmp_path: Path) -> None:
    path, doc = make(tmp_path, SMALL, "devon", "--rag", "60,50")
    assert doc["summary"]["rag"] == {"green": 60.0, "amber": 50.0}
    ws = load_workbook(path)["Summary"]
    fills = {c.fill.fgColor.rgb for row in ws.iter_rows() for c in row if c.value == 66.7}
    assert fills == {"FFC6E5B3"}  # green at 60%
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "Green: 60% or more" in text
    code, _, err = run("audit", "--data", str(SMALL), "--ruleset", "devon", *ARGS, "--rag", "75,90")
    assert code == 2 and "--rag" in err and len(err.strip().splitlines()) == 1


def test_data_issues_and_rules_and_about(tmp_path: Path) -> None:
    path, doc = make(tmp_path)
    wb = load_workbook(path)
    di = [[c.value for c in row] for row in wb["Data issues"].iter_rows()]
    # read = used + excluded + rejected (a canonical file excludes nothing)
    assert ["episodes", "episodes.csv", 6, 5, 0, 1] in [
        [r[0], Path(str(r[1])).name, *r[2:6]] for r in di if r[0] == "episodes"
    ]
    issue_rows = [r for r in di if r[2] in (7, 9, 15) and r[0] in ("episodes", "case_events")]
    assert len(issue_rows) == len(doc["data_issues"])
    rules = [[c.value for c in row] for row in wb["Rules"].iter_rows()]
    assert any(r[0] == "DEV-C1" and "Thereafter" in (r[5] or "") for r in rules)
    assert any("Devon County Council" in str(r[1]) for r in rules if r[0] == "Policy")
    about = {r[0].value: r[1].value for r in wb["About"].iter_rows() if r[0].value}
    assert about["Tool"].startswith("supervision-audit")
    assert len(about["Ruleset SHA-256"]) == 64
    hashes = [
        r[4].value for r in wb["About"].iter_rows() if r[0].value in ("episodes", "case_events")
    ]
    assert all(h and len(h) == 64 for h in hashes)


def _cells(path: Path) -> list:
    wb = load_workbook(path)
    return [c for ws in wb for row in ws.iter_rows() for c in row]


def test_crafted_input_never_becomes_a_formula(tmp_path: Path) -> None:
    path, _ = make(tmp_path, HOSTILE, "dorset")
    cells = _cells(path)
    assert not [c for c in cells if c.data_type == "f"]
    by_value = {c.value: c for c in cells if isinstance(c.value, str)}
    for text in (
        '=HYPERLINK("http://x","y")',
        "+1+1",
        "@SUM(A1)",
        "-2+3",
        "{=SUM(A1)}",
        "#N/A",
        "＝1+1",
    ):
        cell = by_value[text]
        assert cell.data_type == "s", text
        assert cell.quotePrefix, text
    assert "CtrlTeam" in by_value  # the control character is removed, not an error
    assert "Tabbed" in by_value  # surrounding white space is trimmed on reading
    long = [v for v in by_value if v.startswith("LLLL")]
    assert long and all(len(v) <= 32767 and "[cut: 40000 characters]" in v for v in long)


def test_csv_output_is_neutralised(tmp_path: Path) -> None:
    code, out, _ = run(
        "audit", "--data", str(HOSTILE), "--ruleset", "dorset", *ARGS, "--format", "csv"
    )
    assert code == 0
    assert "'=HYPERLINK" in out and "'+1+1" in out and "'@SUM(A1)" in out and "'-2+3" in out
    assert "\n=HYPERLINK" not in out and ",+1+1" not in out


def test_pseudonymised_outputs_hold_no_ids_names_or_birth_dates(tmp_path: Path) -> None:
    env = {"SUPERVISION_AUDIT_KEY": KEY}
    outs = {}
    for ext in ("xlsx", "json", "csv"):
        target = tmp_path / f"a.{ext}"
        code, stdout, err = run(
            "audit",
            "--data",
            str(SMALL),
            "--ruleset",
            "devon",
            *ARGS,
            "--pseudonymise",
            "--output",
            str(target),
            "--format",
            "json",
            env=env,
        )
        assert code == 0, err
        outs[ext] = stdout
    text = outs["json"] + (tmp_path / "a.json").read_text() + (tmp_path / "a.csv").read_text()
    text += " ".join(str(c.value) for c in _cells(tmp_path / "a.xlsx"))
    for secret in (
        "C001",
        "C002",
        "C003",
        "C004",
        "F001",
        "X999",
        "W1",
        "W2",
        "W3",
        "Zebedee",
        "Amy Pond",
        "Donna",
        "2016-05-04",
        "04/05/2016",
        "1975-04-04",
    ):
        assert secret not in text, secret
    doc = json.loads(outs["json"])
    tokens = {f["subject_id"] for f in doc["findings"]}
    assert all(t.startswith("PS-") for t in tokens) and len(tokens) == 5  # C001-C004, F001
    # the same key gives the same tokens next month
    code, again, _ = run(
        "audit",
        "--data",
        str(SMALL),
        "--ruleset",
        "devon",
        *ARGS,
        "--pseudonymise",
        "--format",
        "json",
        env=env,
    )
    assert {f["subject_id"] for f in json.loads(again)["findings"]} == tokens


def test_pseudonymise_refuses_without_a_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SUPERVISION_AUDIT_KEY", raising=False)
    code, _, err = run("audit", "--data", str(SMALL), "--ruleset", "devon", *ARGS, "--pseudonymise")
    assert code == 2 and "SUPERVISION_AUDIT_KEY" in err


def test_failed_write_leaves_last_months_file_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, _ = make(tmp_path)
    before = path.read_bytes()

    def boom(self):
        Path(self.filename).write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr("xlsxwriter.Workbook.close", boom)
    monkeypatch.delenv("SUPERVISION_AUDIT_RERAISE")
    code, _, _err = run(
        "audit", "--data", str(SMALL), "--ruleset", "devon", *ARGS, "--output", str(path)
    )
    assert code != 0
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.xlsx"]


def test_findings_continue_on_further_sheets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wbmod, "MAX_DATA_ROWS", 3)
    path, doc = make(tmp_path)
    wb = load_workbook(path)
    parts = [n for n in wb.sheetnames if n.startswith("Children findings")]
    assert parts == ["Children findings", "Children findings (2)", "Children findings (3)"]
    assert sum(wb[n].max_row - 1 for n in parts) == len(doc["findings"])
    summary = " ".join(str(c.value) for row in wb["Summary"].iter_rows() for c in row if c.value)
    assert "continued on Children findings (2), Children findings (3)" in summary


def _soffice() -> str | None:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    try:
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "--no-install-recommends", "libreoffice-calc"],
            check=True,
            capture_output=True,
            timeout=900,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    except (subprocess.SubprocessError, OSError):
        try:
            subprocess.run(
                ["apt-get", "update", "-q"], check=True, capture_output=True, timeout=300
            )
            subprocess.run(
                ["apt-get", "install", "-y", "-q", "--no-install-recommends", "libreoffice-calc"],
                check=True,
                capture_output=True,
                timeout=900,
            )
        except (subprocess.SubprocessError, OSError):
            return None
    return shutil.which("soffice") or shutil.which("libreoffice")


def _to_pdf(soffice: str, path: Path) -> Path:
    subprocess.run(
        [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(path.parent), str(path)],
        check=True,
        capture_output=True,
        timeout=300,
        env={**os.environ, "HOME": str(path.parent)},
    )
    return path.with_suffix(".pdf")


def _pdf_pages(pdf: Path) -> list[tuple[str, float, float, float]]:
    """Each page's (text, width, height, median word height in points), by poppler."""
    out = []
    count = int(re.search(r"Pages:\s+(\d+)", _poppler("pdfinfo", pdf)).group(1))  # type: ignore[union-attr]
    for page in range(1, count + 1):
        text = _poppler("pdftotext", "-f", page, "-l", page, pdf, "-")
        size = re.search(
            r"size:\s+([\d.]+) x ([\d.]+)", _poppler("pdfinfo", "-f", page, "-l", page, pdf)
        )
        boxes = _poppler("pdftotext", "-f", page, "-l", page, "-bbox", pdf, "-")
        heights = sorted(
            float(b) - float(a)
            for a, b in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', boxes)
        )
        assert size is not None
        median = heights[len(heights) // 2] if heights else 0.0
        out.append((" ".join(text.split()), float(size.group(1)), float(size.group(2)), median))
    return out


def _poppler(tool: str, *args: object) -> str:
    return subprocess.run(
        [tool, *map(str, args)], check=True, capture_output=True, text=True, timeout=120
    ).stdout


READABLE_PT = 6.5  # median word height; the 16-column page of issue 16 printed at about 5


@pytest.mark.slow
def test_workbook_renders_to_pdf_pages(tmp_path: Path) -> None:
    """Printed through LibreOffice, the audit workbook's Findings pages are landscape, at a
    readable size, and show a finding's policy quote; the sample's checklist prints at a
    readable size with its header and the subject's ID on every page."""
    soffice = _soffice()
    if soffice is None:
        pytest.skip("LibreOffice is not installed and could not be installed here (apt-get failed)")
    path, doc = make(tmp_path)
    pdf = _to_pdf(soffice, path).read_bytes()
    assert pdf.startswith(b"%PDF")
    pages = re.findall(rb"/Type\s*/Page(?!s)", pdf)
    assert len(pages) >= 7  # at least one page per sheet
    if not (shutil.which("pdftotext") and shutil.which("pdfinfo")):
        pytest.skip("poppler-utils (pdftotext, pdfinfo) is not installed: page checks skipped")
    printed = _pdf_pages(path.with_suffix(".pdf"))
    assert "Findings by rule" in printed[0][0] and " Requirement " in printed[0][0]  # not cut
    findings = [p for p in printed if "Children findings Page" in p[0]]
    assert findings, "no page carries the Children findings footer"
    for text, width, height, median in findings:
        assert width > height, "Findings pages print landscape"
        assert median >= READABLE_PT, f"Findings text prints at {median:.1f} pt"
        assert "Policy says" in text and "Child or carer" in text  # print titles
    text = " ".join(p[0] for p in findings)
    quoted = 0
    for f in doc["findings"]:
        quote = re.search(r"“(.+?)”", f["citation"])
        assert quote, f["citation"]
        words = " ".join(quote.group(1).split()[:8])
        assert words in text, f"{f['rule']}: policy quote not printed: {words!r}"
        quoted += 1
    assert quoted == len(doc["findings"]) == 9
    # The sample's checklist: as many pages across as it needs, never squeezed to one.
    sample = tmp_path / "sample.xlsx"
    code, _, err = run(
        "sample", "--data", SAMPLE, "--ruleset", "lambeth", "--as-of", "2026-10-31",
        "--per-supervisor", "1", "--seed", "1", "--output", sample,
    )  # fmt: skip
    assert code == 0, err
    sheets = _pdf_pages(_to_pdf(soffice, sample))
    body = [p for p in sheets if "Per supervisor" not in p[0]]  # all but the About page
    assert len(body) >= 2  # 25 columns do not fit one legible page
    for text, width, height, median in body:
        assert width > height and median >= READABLE_PT, (text[:80], median)
        assert "Subject ID" in text and "Subject type" in text  # repeated on every page
    about = next(p[0] for p in sheets if "Per supervisor" in p[0])
    assert "Per supervisor" in about and "As of 31/10/2026" in about


def test_due_sheet_window_is_the_due_within_option(tmp_path: Path) -> None:
    """The Due sheet lists what `due --within` lists for the same window: 14 days unless
    --due-within says otherwise (3 items in 14 days on the small fixture, 5 in 3 months)."""
    seen = {}
    for within, words in ((None, "14 days"), ("14d", "14 days"), ("3m", "3 months")):
        code, out, err = run(
            "due", "--data", SMALL, "--ruleset", "devon", *ARGS, "--within", within or "14d",
            "--format", "json",
        )  # fmt: skip
        assert code == 0, err
        expected = sorted(r["subject_id"] for r in json.loads(out)["rows"])
        path, _ = make(tmp_path, SMALL, "devon", *(["--due-within", within] if within else []))
        ws = load_workbook(path)["Due"]
        assert str(ws.cell(1, 1).value).startswith(f"Due within {words} of 30/06/2024")
        header = [c.value for c in ws[2]]
        col = header.index("Child, carer or worker") + 1
        listed = sorted(ws.cell(r, col).value for r in range(3, ws.max_row + 1))
        assert listed == expected
        seen[within] = len(listed)
    assert seen == {None: 3, "14d": 3, "3m": 5}
    code, _, err = run(
        "audit", "--data", SMALL, "--ruleset", "devon", *ARGS, "--due-within", "2w",
    )  # fmt: skip
    assert code == 2 and "--due-within" in err and ".xlsx" in err
    code, _, err = run(
        "audit", "--data", SMALL, "--ruleset", "devon", *ARGS, "--due-within", "soon",
        "--output", tmp_path / "x.xlsx",
    )  # fmt: skip
    assert code == 2 and err.startswith("error: --due-within")
    assert not (tmp_path / "x.xlsx").exists()
