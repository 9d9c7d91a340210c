"""`sample`: choosing supervision files to audit, on a small hand-built authority.

Three supervisors (S1 with three active workers and one who has left, S2 with one, S3 with
five); worker W1's caseload is one high-risk child with no supervision at all (C1) and three
new, low-risk children (C2-C4); W2 has one child (C5). Dorset's policy, audit date 30 June
2025. C2 and worker W3 had a file audit 11 months before the audit date.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from supervision_audit.audit import AuditOptions, run_audit
from supervision_audit.cli import app
from supervision_audit.dates import Interval
from supervision_audit.errors import UsageError
from supervision_audit.report.workbook import human_header
from supervision_audit.views.sampling import (
    CHECKLIST_SCHEMA,
    JUDGEMENT_COLUMNS,
    SampleOptions,
    sample_files,
    window_start,
)

AS_OF = dt.date(2025, 6, 30)
AUDITED = "2024-07-30"  # 11 months before AS_OF

WORKERS = """worker_id,name,role,team,supervisor_id,start_date,end_date
W1,Ann One,Social Worker,North,S1,2020-01-01,
W2,Bob Two,Social Worker,North,S1,2020-01-01,
W3,Cat Three,Social Worker,North,S1,2020-01-01,
W4,Dan Four,Social Worker,North,S1,2020-01-01,2025-03-31
W5,Eve Five,Social Worker,South,S2,2020-01-01,
W6,Fay Six,Social Worker,East,S3,2020-01-01,
W7,Gus Seven,Social Worker,East,S3,2020-01-01,
W8,Hal Eight,Social Worker,East,S3,2020-01-01,
W9,Ivy Nine,Social Worker,East,S3,2020-01-01,
W10,Jo Ten,Social Worker,East,S3,2020-01-01,
W11,Kim Eleven,Social Worker,East,S3,2025-08-01,
"""
EPISODES = """person_id,category,start_date,end_date,team,worker_id,flags,person_name
C1,CIN,2024-06-01,,North,W1,HIGH_RISK,Zebedee Quixotic
C2,CIN,2025-05-20,,North,W1,,Amy Pond
C3,CIN,2025-05-20,,North,W1,,Rory Williams
C4,CIN,2025-05-20,,North,W1,,Clara Oswald
C5,CIN,2025-05-20,,North,W2,,River Song
C6,CIN,2024-01-01,2025-01-31,North,W2,,Martha Jones
"""
CASE_EVENTS = f"""person_id,date,kind,worker_id
C2,{AUDITED},FILE_AUDIT,W1
C2,2025-06-10,CASE_SUPERVISION,W1
C3,2025-06-10,CASE_SUPERVISION,W1
C4,2025-06-10,CASE_SUPERVISION,W1
C5,2025-06-10,CASE_SUPERVISION,W2
"""
WORKER_EVENTS = f"""worker_id,kind,date
W3,FILE_AUDIT,{AUDITED}
W1,AGREEMENT,2025-01-15
W1,OBSERVATION,2025-03-03
"""
SESSIONS = """worker_id,date,status,supervisor_id,recorded_date
W1,2025-06-02,HELD,S1,2025-06-03
W1,2025-06-20,CANCELLED,S1,
"""


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("authority")
    for name, text in {
        "workers": WORKERS,
        "episodes": EPISODES,
        "case_events": CASE_EVENTS,
        "worker_events": WORKER_EVENTS,
        "worker_sessions": SESSIONS,
    }.items():
        (root / f"{name}.csv").write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def run(data_dir: Path):
    return run_audit(
        AuditOptions(data=data_dir, ruleset="dorset", as_of=AS_OF, history_from=dt.date(2024, 1, 1))
    )


def picked(result, file: str) -> list[str]:
    return result.frame.filter(pl.col("file") == file)["subject_id"].to_list()


def test_same_seed_same_sample(run) -> None:
    opts = SampleOptions(per_supervisor=2, children_per_worker=1, strategy="risk", seed=42)
    first = sample_files(run, opts)
    second = sample_files(run, opts)
    assert first.seed == 42
    assert first.frame.equals(second.frame)
    assert first.frame["seed"].unique().to_list() == [42]
    # the seed matters: across seeds, S3's two of five workers are not always the same pair
    pairs = {
        tuple(
            sorted(
                sample_files(run, SampleOptions(per_supervisor=2, seed=s))
                .frame.filter(pl.col("supervisor_id") == "S3")["subject_id"]
                .to_list()
            )
        )
        for s in range(20)
    }
    assert len(pairs) > 1


def test_staff_sample_does_not_depend_on_sampling_case_files_too(run) -> None:
    staff_only = sample_files(run, SampleOptions(per_supervisor=2, seed=7))
    both = sample_files(run, SampleOptions(per_supervisor=2, children_per_worker=1, seed=7))
    assert staff_only.frame.equals(both.frame.filter(pl.col("file") == "staff file"))


def test_no_seed_draws_one_and_reports_it(run) -> None:
    result = sample_files(run, SampleOptions(per_supervisor=1))
    assert isinstance(result.seed, int) and result.seed >= 0
    again = sample_files(run, SampleOptions(per_supervisor=1, seed=result.seed))
    assert again.frame.equals(result.frame)


@pytest.mark.parametrize("strategy", ["random", "risk"])
def test_every_supervisor_gets_n_or_all_when_fewer(run, strategy: str) -> None:
    for seed in range(10):
        result = sample_files(
            run,
            SampleOptions(per_supervisor=2, children_per_worker=2, strategy=strategy, seed=seed),
        )
        staff = result.frame.filter(pl.col("file") == "staff file")
        per_sup = dict(staff.group_by("supervisor_id").len().rows())
        assert per_sup == {"S1": 2, "S2": 1, "S3": 2}
        # W4 has left and W11 has not started: never drawn
        assert not set(staff["subject_id"]) & {"W4", "W11"}
        assert set(staff.filter(pl.col("supervisor_id") == "S1")["subject_id"]) <= {
            "W1",
            "W2",
            "W3",
        }
        cases = result.frame.filter(pl.col("file") == "case file")
        per_worker = dict(cases.group_by("worker_id").len().rows())
        assert per_worker == {"W1": 2, "W2": 1}
        assert "C6" not in cases["subject_id"].to_list()  # closed before the audit date
        assert cases.filter(pl.col("worker_id") == "W1")["draw"].sort().to_list() == [1, 2]


def test_all_files_when_n_exceeds_the_group(run) -> None:
    result = sample_files(run, SampleOptions(per_supervisor=50, children_per_worker=50, seed=1))
    assert sorted(picked(result, "staff file")) == sorted(
        ["W1", "W2", "W3", "W5", "W6", "W7", "W8", "W9", "W10"]
    )
    assert sorted(picked(result, "case file")) == ["C1", "C2", "C3", "C4", "C5"]


def test_risk_weights_follow_findings_and_flags(run) -> None:
    result = sample_files(run, SampleOptions(children_per_worker=10, strategy="risk", seed=0)).frame
    w = dict(result.select("subject_id", "weight").rows())
    c1 = result.filter(pl.col("subject_id") == "C1").row(0, named=True)
    assert c1["high_risk"] is True
    assert c1["open_findings"] >= 1
    assert w["C1"] == 1 + 3 * c1["open_findings"] + c1["findings_12m"] + 2
    assert w["C2"] == w["C3"] == w["C4"] == 1
    random = sample_files(run, SampleOptions(children_per_worker=10, seed=0)).frame
    assert random["weight"].unique().to_list() == [1]


def test_risk_draws_high_risk_files_more_often_yet_any_file_can_be_drawn(run) -> None:
    def tally(strategy: str) -> Counter:
        counts: Counter = Counter()
        for seed in range(300):
            result = sample_files(
                run, SampleOptions(children_per_worker=1, strategy=strategy, seed=seed)
            )
            counts.update(result.frame.filter(pl.col("worker_id") == "W1")["subject_id"].to_list())
        return counts

    risk = tally("risk")
    random = tally("random")
    assert sum(risk.values()) == 300
    assert risk["C1"] > max(risk["C2"], risk["C3"], risk["C4"])
    assert risk["C1"] > 2 * random["C1"]
    assert min(risk["C2"], risk["C3"], risk["C4"]) >= 1  # low-risk files still drawn
    # random: roughly even (each about 75 of 300)
    assert all(40 <= random[c] <= 110 for c in ("C1", "C2", "C3", "C4"))


def test_window_start() -> None:
    assert window_start(AS_OF, Interval.parse("12m")) == dt.date(2024, 6, 30)
    assert window_start(AS_OF, Interval.parse("6m")) == dt.date(2024, 12, 30)
    assert window_start(AS_OF, Interval.parse("2w")) == dt.date(2025, 6, 16)


def test_exclude_audited_within(run) -> None:
    def everything(window: str | None):
        return sample_files(
            run,
            SampleOptions(
                per_supervisor=50,
                children_per_worker=50,
                seed=3,
                exclude_within=Interval.parse(window) if window else None,
            ),
        )

    within_12m = everything("12m")
    assert "C2" not in picked(within_12m, "case file")  # audited 11 months ago
    assert "W3" not in picked(within_12m, "staff file")
    assert within_12m.excluded == {"staff files": 1, "case files": 1}
    within_6m = everything("6m")
    assert "C2" in picked(within_6m, "case file")
    assert "W3" in picked(within_6m, "staff file")
    assert within_6m.excluded == {"staff files": 0, "case files": 0}
    row = within_6m.frame.filter(pl.col("subject_id") == "C2").row(0, named=True)
    assert row["last_file_audit"] == dt.date(2024, 7, 30)


def test_exclusion_only_changes_the_excluded_files_group(run) -> None:
    plain = sample_files(run, SampleOptions(per_supervisor=1, seed=11)).frame
    skipping = sample_files(
        run, SampleOptions(per_supervisor=1, seed=11, exclude_within=Interval.parse("12m"))
    ).frame
    others = pl.col("supervisor_id") != "S1"
    assert plain.filter(others).equals(skipping.filter(others))


def test_checklist_is_prefilled_from_the_data(run) -> None:
    result = sample_files(run, SampleOptions(per_supervisor=50, children_per_worker=50, seed=0))
    frame = result.frame
    w1 = frame.filter(pl.col("subject_id") == "W1").row(0, named=True)
    assert w1["file"] == "staff file"
    assert w1["last_supervision"] == dt.date(2025, 6, 2)  # the cancelled session is not one
    assert w1["days_since_supervision"] == 28
    assert w1["last_agreement"] == dt.date(2025, 1, 15)
    assert w1["last_observation"] == dt.date(2025, 3, 3)
    assert w1["team"] == "North" and w1["supervisor_id"] == "S1"
    c3 = frame.filter(pl.col("subject_id") == "C3").row(0, named=True)
    assert c3["file"] == "case file" and c3["subject_type"] == "child"
    assert c3["last_supervision"] == dt.date(2025, 6, 10)
    assert c3["days_since_supervision"] == 20
    assert c3["worker_id"] == "W1" and c3["supervisor_id"] == "S1"
    assert c3["last_agreement"] is None
    c1 = frame.filter(pl.col("subject_id") == "C1").row(0, named=True)
    assert c1["last_supervision"] is None and c1["days_since_supervision"] is None
    # the open-findings count is the audit's own
    outstanding = run.result.findings.filter(
        (pl.col("subject_id") == "C1") & pl.col("outstanding")
    ).height
    assert c1["open_findings"] == outstanding
    for col in JUDGEMENT_COLUMNS:
        assert frame[col].null_count() == frame.height
    assert "person_name" not in frame.columns and "name" not in frame.columns


def test_late_records_counted_from_timeliness_findings(run) -> None:
    # Dorset checks staff records' timeliness (DOR-S5) but not children's: blank there
    frame = sample_files(
        run, SampleOptions(per_supervisor=50, children_per_worker=50, seed=0)
    ).frame
    assert frame.filter(pl.col("file") == "case file")["late_records_12m"].null_count() == 5
    staff = frame.filter(pl.col("file") == "staff file")
    assert staff["late_records_12m"].null_count() == 0


def test_bad_options() -> None:
    from supervision_audit.views.sampling import check_options

    with pytest.raises(UsageError, match="--per-supervisor N"):
        check_options(SampleOptions())
    with pytest.raises(UsageError, match="--strategy"):
        check_options(SampleOptions(per_supervisor=1, strategy="worst"))
    with pytest.raises(UsageError, match="at least 1"):
        check_options(SampleOptions(children_per_worker=0))
    with pytest.raises(UsageError, match="--seed"):
        check_options(SampleOptions(per_supervisor=1, seed=-1))


def _cli(data_dir: Path, *extra: str):
    return CliRunner().invoke(
        app,
        [
            "sample",
            "--data",
            str(data_dir),
            "--ruleset",
            "dorset",
            "--as-of",
            "2025-06-30",
            "--history-from",
            "2024-01-01",
            *extra,
        ],
        catch_exceptions=False,
    )


def test_cli_writes_a_checklist_workbook_with_the_seed(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "sample.xlsx"
    result = _cli(
        data_dir,
        "--per-supervisor",
        "1",
        "--children-per-worker",
        "1",
        "--strategy",
        "risk",
        "--seed",
        "1234",
        "--exclude-audited-within",
        "12m",
        "--output",
        str(out),
    )
    assert result.exit_code == 0, result.stderr
    assert "seed 1234" in result.stdout
    for name in ("Zebedee", "Amy Pond", "Rory", "Clara", "River", "Ann One"):
        assert name not in result.stdout + result.stderr
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Sample", "About"]
    rows = list(wb["Sample"].values)
    # Printed headers are words ('Days since supervision'); CSV and JSON keep the names.
    header = [{human_header(c): c for c in CHECKLIST_SCHEMA}.get(h, h) for h in rows[0]]
    for col in (
        "subject_id",
        "team",
        "worker_id",
        "supervisor_id",
        "last_supervision",
        "days_since_supervision",
        "last_agreement",
        "last_observation",
        "late_records_12m",
        "open_findings",
        *JUDGEMENT_COLUMNS,
        "seed",
    ):
        assert col in header, col
    assert len(rows) == 1 + 3 + 2  # three supervisors, two workers with cases
    assert {r[header.index("seed")] for r in rows[1:]} == {1234}
    about = dict(wb["About"].values)
    assert about["Seed"] == "1234"
    assert about["Strategy"] == "risk"
    assert about["Exclude audited within"] == "12m"
    assert about["As of"] == "30/06/2025"  # dd/mm/yyyy, as every date in the workbook
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically


def test_cli_without_a_seed_prints_the_one_it_drew(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "sample.csv"
    result = _cli(data_dir, "--children-per-worker", "2", "--format", "json", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    import json

    doc = json.loads(result.stdout)
    seed = int(doc["seed"])
    assert f"--seed {seed}" in result.stderr
    assert {r["seed"] for r in doc["rows"]} == {seed}
    again = _cli(data_dir, "--children-per-worker", "2", "--format", "json", "--seed", str(seed))
    assert json.loads(again.stdout)["rows"] == doc["rows"]
    text = out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("file,subject_type,subject_id")


def test_cli_needs_a_sample_size(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUPERVISION_AUDIT_RERAISE")
    result = _cli(data_dir)
    assert result.exit_code == 2
    assert "--per-supervisor" in result.stderr


def test_xlsx_neutralises_formula_like_text(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    (root / "workers.csv").write_text(
        "worker_id,role,team,supervisor_id,start_date\n"
        'W1,Social Worker,"=HYPERLINK(""http://x"")",S1,2020-01-01\n',
        encoding="utf-8",
    )
    out = tmp_path / "s.xlsx"
    result = _cli(root, "--per-supervisor", "1", "--seed", "1", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    ws = openpyxl.load_workbook(out)["Sample"]
    header = [c.value for c in ws[1]]
    cell = ws.cell(row=2, column=header.index("Team") + 1)
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://x")'
    assert cell.quotePrefix
