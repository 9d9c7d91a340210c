"""`make bench`: the scoreboard. Speed and memory of each stage on generated authorities, in
one run on the same data. Prints figures; asserts nothing (a benchmark, not a test).

Per size (100k and 1M children by default; `make bench SIZE=5m` runs 1M and 5M): the bare
Polars read of the CSVs (the floor), load with validation, audit (every rule), JSON and CSV
output, the workbook (up to 1.1M findings), each with wall time, CPU time (user + system,
both cores), peak resident memory, its ratio to the bare read (wall and CPU) and the load
average as it ended, since wall time on a shared machine is only as good as the machine's
quiet (CPU time is the steadier figure); load is split into reading the files as text and
parsing. Then the ratios the issues set targets for: audit over the bare read, the
end-to-end run (load + audit + JSON), growth from the smallest to the largest size (wall and
CPU), the engine against the plain-Python reference (tests/reference.py) and a pandas
version of the same clock (tools/pandas_clock.py) on the main case rule, and the peak memory
at 5M over 1M.

The sha256 of each size's JSON and CSV is compared with the hashes recorded by the first run
on that data (bench_data/children_N/hashes.json; `--record` rewrites them after a deliberate
change of findings), so a performance change proves it left the outputs byte-identical. The
data is given by its path relative to the checkout (the outputs quote it), so the hashes
hold in any checkout with the same bench_data.
`--readme` rewrites the table in README.md's Performance section from this run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import json
import os
import resource
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

AS_OF = dt.date(2026, 10, 31)
ROOT = Path(__file__).resolve().parent.parent


class PeakRSS:
    """Samples this process's resident memory every few milliseconds (Rust allocations
    included, which tracemalloc cannot see)."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> int:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * self._page

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(self.interval)

    def reset(self) -> None:
        self.peak = self._rss()

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def cpu_seconds() -> float:
    """User + system CPU time of this process (all threads), in seconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def stage(
    name: str,
    rows: int,
    results: list[dict[str, Any]],
    mem: PeakRSS,
    read: dict[str, Any] | None = None,
) -> Iterator[None]:
    """Time one stage: wall, CPU (user + system, all threads) and peak memory, with the
    1-minute load average at its end; `read` (the bare read's figures) adds the ratios."""
    gc.collect()
    mem.reset()
    start, cpu = time.perf_counter(), cpu_seconds()
    yield
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    mem.peak = max(mem.peak, mem._rss())
    load = os.getloadavg()[0]
    results.append(
        {
            "stage": name,
            "seconds": seconds,
            "cpu_s": cpu,
            "rows": rows,
            "rows_per_s": rows / seconds if seconds else float("inf"),
            "peak_gib": mem.peak / 2**30,
            "load": load,
        }
    )
    ratio = ""
    if read is not None and read["seconds"] and read["cpu_s"]:
        ratio = f"  {seconds / read['seconds']:5.1f}x the read (CPU {cpu / read['cpu_s']:5.1f}x)"
    print(
        f"  {name:<30} {seconds:8.2f} s  cpu {cpu:7.2f} s  {rows:>12,} rows  "
        f"{rows / seconds if seconds else 0:>12,.0f} rows/s  peak {mem.peak / 2**30:6.2f} GiB  "
        f"load {load:4.1f}{ratio}",
        flush=True,
    )


@contextmanager
def _reading_timed() -> Iterator[list[float]]:
    """Wall and CPU time spent in the canonical loader's file reading (read_csv_raw: Polars'
    read, the field-count scan, the hash thread's start), the rest of load being parsing."""
    from supervision_audit.sources import canonical

    spent = [0.0, 0.0]
    original = canonical.read_csv_raw

    def timed(*args: Any, **kwargs: Any) -> Any:
        start, cpu = time.perf_counter(), cpu_seconds()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start
            spent[1] += cpu_seconds() - cpu

    canonical.read_csv_raw = timed  # type: ignore[assignment]
    try:
        yield spent
    finally:
        canonical.read_csv_raw = original  # type: ignore[assignment]


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f}) on {os.cpu_count()} cores"


def ensure_data(children: int, seed: int = 7) -> Path:
    from tools.synth import generate, write_csv

    folder = ROOT / "bench_data" / f"children_{children}"
    marker = folder / ".complete"
    if marker.exists():
        return folder
    print(f"generating {children:,} children into {folder} ...", flush=True)
    start = time.perf_counter()
    tables = generate(children, seed, AS_OF, staff=True, bad_rows=True)
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(tables, folder)
    rows = sum(t.height for t in tables.values())
    del tables
    marker.write_text("ok\n")
    print(f"  generated {rows:,} rows in {time.perf_counter() - start:.1f} s", flush=True)
    return folder


def run_size(
    children: int, ruleset: str, mem: PeakRSS, reference: bool, record: bool
) -> dict[str, Any]:
    from supervision_audit.audit import AuditOptions, assemble, prepare
    from supervision_audit.report.csvout import write_csv
    from supervision_audit.report.jsonout import write_json
    from supervision_audit.rules.registry import RULE_KINDS

    folder = ensure_data(children)
    files = sorted(folder.glob("*.csv"))
    results: list[dict[str, Any]] = []
    size = sum(f.stat().st_size for f in files)
    print(f"\n{children:,} children: {len(files)} CSV files, {size / 2**20:,.0f} MiB", flush=True)
    print(f"  {load_average()}", flush=True)
    total_rows = sum(
        pl.scan_csv(f, infer_schema=False).select(pl.len()).collect().item() for f in files
    )
    with stage("bare Polars read_csv", total_rows, results, mem):
        frames = [pl.read_csv(f, infer_schema=False) for f in files]
    del frames
    read = results[0]
    # The data's path relative to the checkout (the outputs quote it), so the recorded
    # hashes hold in any checkout that has the same bench_data.
    opts = AuditOptions(data=Path(os.path.relpath(folder)), ruleset=ruleset, as_of=AS_OF)
    with stage("load + validate", total_rows, results, mem, read), _reading_timed() as reading:
        rs, data, ctx, scopes = prepare(opts)
    results[-1]["reading_s"], results[-1]["reading_cpu_s"] = reading
    print(
        f"    of which reading the files as text {reading[0]:.2f} s (CPU {reading[1]:.2f} s), "
        f"parsing and checking the rest",
        flush=True,
    )
    outcomes = []
    with stage("audit (all rules)", total_rows, results, mem, read):
        not_eval = []
        for scope in scopes:
            for rule in rs.rules_for(scope):
                o = RULE_KINDS[rule.kind].evaluate(ctx, rule)
                outcomes.append(o)
                not_eval += o.not_evaluated
        result = assemble(opts, rs, data, ctx, scopes, outcomes, not_eval)
    n_findings = result.findings.height
    out_dir = folder / "out"
    out_dir.mkdir(exist_ok=True)
    with stage("output JSON", n_findings, results, mem, read):
        write_json(result, out_dir / "audit.json")
    with stage("output CSV", n_findings, results, mem, read):
        write_csv(result, out_dir / "audit.csv")
    identical = check_hashes(folder, out_dir, record)
    workbook = _workbook_writer()
    if workbook is not None and n_findings <= 1_100_000:
        from supervision_audit.audit import AuditRun

        run = AuditRun(result, rs, data, ctx, outcomes)
        with stage("output xlsx workbook", n_findings, results, mem):
            workbook(run, out_dir / "audit.xlsx", argv=["bench"])
    baselines: dict[str, Any] = {}
    if reference:
        baselines = _baselines(ctx, rs, results, mem)
    print(f"  findings: {n_findings:,}; data issues: {result.data_issues.height:,}", flush=True)
    print(f"  {load_average()}", flush=True)
    return {
        "children": children,
        "rows": total_rows,
        "mib": size / 2**20,
        "findings": n_findings,
        "stages": results,
        "baselines": baselines,
        "outputs_identical": identical,
    }


def check_hashes(folder: Path, out_dir: Path, record: bool) -> bool | None:
    """Compare the outputs' sha256 with the hashes recorded for this data (None: recorded
    now, there were none or --record was given)."""
    hashes = {}
    for name in ("audit.json", "audit.csv"):
        with open(out_dir / name, "rb") as fh:
            hashes[name] = hashlib.file_digest(fh, "sha256").hexdigest()
    ledger = folder / "hashes.json"
    if record or not ledger.exists():
        ledger.write_text(json.dumps(hashes, indent=2) + "\n")
        print(f"  output hashes recorded in {ledger.relative_to(ROOT)}", flush=True)
        return None
    before = json.loads(ledger.read_text())
    same = [n for n in hashes if before.get(n) == hashes[n]]
    if len(same) == len(hashes):
        print("  outputs byte-identical to the recorded hashes (JSON and CSV)", flush=True)
        return True
    changed = ", ".join(n for n in hashes if n not in same)
    print(
        f"  OUTPUTS DIFFER from the recorded hashes: {changed} (--record after a deliberate "
        "change of findings)",
        flush=True,
    )
    return False


def _workbook_writer() -> Callable[..., Any] | None:
    try:
        from supervision_audit.report.workbook import write_workbook
    except ImportError:
        return None
    return write_workbook


def _baselines(ctx: Any, rs: Any, results: list[dict[str, Any]], mem: PeakRSS) -> dict[str, Any]:
    """The main children's interval rule: the engine (its clock alone, and the whole rule)
    against the plain-Python reference clock and the pandas clock, on the same inputs
    (building each baseline's inputs is not counted). The pandas findings are checked equal
    to the engine's, so the comparison is of the same work."""
    import pandas as pd

    from supervision_audit.engine import run_clock
    from supervision_audit.rules.kinds.interval import persons
    from supervision_audit.rules.kinds.interval_spec import rank_expr, requirements_frame
    from supervision_audit.rules.registry import RULE_KINDS
    from tests.reference import Req, reference_clock
    from tools.pandas_clock import pandas_clock

    rule = next(r for r in rs.rules_for("children") if r.kind == "interval")
    spec = rule.spec
    out: list[dict[str, Any]] = []
    hist, as_of = ctx.history_from["children"], ctx.as_of
    codes = persons(ctx)
    rows_df = (
        ctx.tables["episodes"]
        .with_columns(rank=rank_expr(spec))
        .filter(pl.col("rank").is_not_null())
        .join(codes, on="person_id")
        .select(
            "subject",
            pl.max_horizontal("start_date", pl.lit(hist)).alias("start"),
            pl.min_horizontal(pl.col("end_date").fill_null(pl.lit(as_of)), pl.lit(as_of)).alias(
                "end"
            ),
            "rank",
        )
    )
    ev = (
        ctx.tables["case_events"]
        .filter(pl.col("kind").is_in(list(spec.counts)))
        .join(codes, on="person_id")
        .select("subject", "date")
    )
    req = requirements_frame(spec)
    n = rows_df.height
    with stage(f"engine, rule {rule.id} (whole rule)", n, out, mem):
        RULE_KINDS["interval"].evaluate(ctx, rule)
    with stage("engine clock (run_clock)", n, out, mem):
        clock = run_clock(rows_df.lazy(), ev.lazy(), req, as_of, repeat=spec.repeat)
    rows = list(zip(*[rows_df[c].to_list() for c in rows_df.columns], strict=True))
    events = list(zip(ev["subject"].to_list(), ev["date"].to_list(), strict=True))
    reqs = {
        r["rank"]: Req(r["every_days"], r["every_months"], r["limit_days"], r["limit_months"])
        for r in req.to_dicts()
    }
    with stage("reference: plain-Python clock", n, out, mem):
        reference_clock(rows, events, reqs, as_of, repeat=spec.repeat)
    del rows, events

    def to_pandas(frame: pl.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {
                c: frame[c].to_numpy().astype("datetime64[ns]")
                if frame.schema[c] == pl.Date
                else frame[c].to_numpy()
                for c in frame.columns
            }
        )

    every = {r["rank"]: (r["every_days"], r["every_months"]) for r in req.to_dicts()}
    limit = {
        r["rank"]: (r["limit_days"], r["limit_months"])
        if r["limit_days"] is not None or r["limit_months"] is not None
        else (r["every_days"], r["every_months"])
        for r in req.to_dicts()
    }
    pd_rows, pd_events = to_pandas(rows_df), to_pandas(ev)
    with stage("pandas clock (same algorithm)", n, out, mem):
        pd_findings = pandas_clock(pd_rows, pd_events, every, limit, as_of, repeat=spec.repeat)
    same = _same_findings(clock.findings, pd_findings)
    results += out
    by = {r["stage"].split(" (")[0].split(",")[0]: r for r in out}
    rule_s, core_s = out[0]["seconds"], out[1]["seconds"]
    ref_s, pd_s = by["reference: plain-Python clock"]["seconds"], out[3]["seconds"]
    figures = {
        "rule": rule.id,
        "reference_over_clock": ref_s / core_s,
        "reference_over_rule": ref_s / rule_s,
        "pandas_over_clock": pd_s / core_s,
        "pandas_over_rule": pd_s / rule_s,
        "pandas_cpu_over_clock_cpu": out[3]["cpu_s"] / out[1]["cpu_s"],
        "pandas_findings_equal": same,
    }
    print(
        f"  plain-Python reference / engine: {figures['reference_over_clock']:.1f}x the clock, "
        f"{figures['reference_over_rule']:.1f}x the whole rule\n"
        f"  pandas / engine: {figures['pandas_over_clock']:.1f}x the clock, "
        f"{figures['pandas_over_rule']:.1f}x the whole rule "
        f"(CPU time {figures['pandas_cpu_over_clock_cpu']:.1f}x); pandas findings "
        f"{'equal to' if same else 'DIFFERENT from'} the engine's",
        flush=True,
    )
    return figures


def _same_findings(engine: pl.DataFrame, pandas_findings: Any) -> bool:
    cols = ["subject", "due_date", "limit_date", "met_date", "days_overdue", "severity"]
    a = engine.select(cols).sort("subject", "due_date")
    b = pl.DataFrame({c: pandas_findings[c].to_numpy() for c in cols}).with_columns(
        pl.col("subject").cast(a.schema["subject"]),
        pl.col("due_date", "limit_date", "met_date").cast(pl.Date),
        pl.col("days_overdue").cast(pl.Int64),
    )
    return a.equals(b.sort("subject", "due_date"))


def parse_size(text: str) -> int:
    """100000, 100k, 1m, 5m."""
    t = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    return int(float(t[:-1] if scale > 1 else t) * scale)


def _stage(size: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((r for r in size["stages"] if r["stage"] == name), None)


def summary(sizes: list[dict[str, Any]]) -> dict[str, Any]:
    """The ratios the issues set targets for, from this run's figures."""
    out: dict[str, Any] = {"sizes": {}}
    for size in sizes:
        read, load = _stage(size, "bare Polars read_csv"), _stage(size, "load + validate")
        audit, js = _stage(size, "audit (all rules)"), _stage(size, "output JSON")
        assert read and load and audit and js
        e2e = load["seconds"] + audit["seconds"] + js["seconds"]
        figures = {
            "end_to_end_s": e2e,
            "end_to_end_cpu_s": load["cpu_s"] + audit["cpu_s"] + js["cpu_s"],
            "end_to_end_peak_gib": max(load["peak_gib"], audit["peak_gib"], js["peak_gib"]),
            "audit_over_read": audit["seconds"] / read["seconds"],
            "load_over_read": load["seconds"] / read["seconds"],
            "audit_over_read_cpu": audit["cpu_s"] / read["cpu_s"],
            "load_over_read_cpu": load["cpu_s"] / read["cpu_s"],
            "load_average": max(r.get("load", 0.0) for r in size["stages"]),
        }
        book = _stage(size, "output xlsx workbook")
        if book:
            figures["workbook_s_per_100k"] = book["seconds"] / size["findings"] * 100_000
        out["sizes"][size["children"]] = figures
    if len(sizes) > 1:
        small, big = sizes[0], sizes[-1]
        factor = big["children"] / small["children"]
        growth, growth_cpu = {}, {}
        for name in ("bare Polars read_csv", "load + validate", "audit (all rules)", "output JSON"):
            a, b = _stage(small, name), _stage(big, name)
            if a and b:
                growth[name] = b["seconds"] / a["seconds"]
                growth_cpu[name] = b["cpu_s"] / a["cpu_s"]
        fs, fb = out["sizes"][small["children"]], out["sizes"][big["children"]]
        growth["end to end"] = fb["end_to_end_s"] / fs["end_to_end_s"]
        growth_cpu["end to end"] = fb["end_to_end_cpu_s"] / fs["end_to_end_cpu_s"]
        out["growth"] = {"factor": factor, "stages": growth, "stages_cpu": growth_cpu}
        out["peak_ratio"] = fb["end_to_end_peak_gib"] / fs["end_to_end_peak_gib"]
    return out


def _growth(figures: dict[str, Any]) -> str:
    g = figures["growth"]
    return ", ".join(
        f"{k} {v:.1f}x (CPU {g['stages_cpu'][k]:.1f}x)" for k, v in g["stages"].items()
    )


def print_summary(sizes: list[dict[str, Any]], figures: dict[str, Any]) -> None:
    print("\nscoreboard", flush=True)
    for n, f in figures["sizes"].items():
        line = (
            f"  {n:>9,} children: end to end (load + audit + JSON) {f['end_to_end_s']:.1f} s "
            f"(CPU {f['end_to_end_cpu_s']:.1f} s), peak {f['end_to_end_peak_gib']:.2f} GiB; "
            f"audit {f['audit_over_read']:.1f}x the bare read (CPU "
            f"{f['audit_over_read_cpu']:.1f}x), load {f['load_over_read']:.1f}x (CPU "
            f"{f['load_over_read_cpu']:.1f}x); load average up to {f['load_average']:.1f}"
        )
        if "workbook_s_per_100k" in f:
            line += f"; workbook {f['workbook_s_per_100k']:.1f} s per 100k findings"
        print(line)
    if "growth" in figures:
        print(f"  growth over {figures['growth']['factor']:.0f}x the children: {_growth(figures)}")
        print(f"  peak memory, largest over smallest size: {figures['peak_ratio']:.2f}x")
    for size in sizes:
        if size["baselines"]:
            b = size["baselines"]
            print(
                f"  rule {b['rule']} at {size['children']:,} children: engine "
                f"{b['reference_over_clock']:.1f}x the plain-Python reference "
                f"({b['reference_over_rule']:.1f}x counting the whole rule), "
                f"{b['pandas_over_clock']:.1f}x pandas ({b['pandas_over_rule']:.1f}x)"
            )


README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"


def readme_table(sizes: list[dict[str, Any]], figures: dict[str, Any], load: str) -> str:
    """The Performance table of README.md, from this run."""

    def cell(size: dict[str, Any], name: str) -> str:
        r = _stage(size, name)
        if r is None:
            return "—"
        return f"{r['seconds']:.1f} s (CPU {r['cpu_s']:.1f} s), peak {r['peak_gib']:.2f} GiB"

    head = " | ".join(
        f"{s['children']:,} children ({s['rows'] / 1e6:.1f}M rows, {s['mib']:,.0f} MiB)"
        for s in sizes
    )
    lines = [
        README_START,
        f"Measured by `make bench` in one run ({load}; Polars {pl.__version__}, ruleset "
        "dorset). CPU time is user + system over both cores.",
        "",
        f"| stage | {head} |",
        "|---|" + "---|" * len(sizes),
    ]
    for name in (
        "bare Polars read_csv",
        "load + validate",
        "audit (all rules)",
        "output JSON",
        "output CSV",
        "output xlsx workbook",
    ):
        lines.append(f"| {name} | " + " | ".join(cell(s, name) for s in sizes) + " |")
    row = []
    for s in sizes:
        f = figures["sizes"][s["children"]]
        row.append(
            f"{f['end_to_end_s']:.1f} s (CPU {f['end_to_end_cpu_s']:.1f} s), "
            f"peak {f['end_to_end_peak_gib']:.2f} GiB"
        )
    lines.append("| **end to end** (load + audit + JSON) | " + " | ".join(row) + " |")
    for label, key in (("audit", "audit_over_read"), ("load", "load_over_read")):
        lines.append(
            f"| {label} over the bare read | "
            + " | ".join(
                f"{figures['sizes'][s['children']][key]:.1f}x "
                f"(CPU {figures['sizes'][s['children']][key + '_cpu']:.1f}x)"
                for s in sizes
            )
            + " |"
        )
    lines.append("")
    if "growth" in figures:
        lines.append(
            f"Growth over {figures['growth']['factor']:.0f}x the children: {_growth(figures)}. "
            f"Peak memory of the largest size over the smallest: {figures['peak_ratio']:.2f}x."
        )
    for s in sizes:
        b = s["baselines"]
        if b:
            lines.append(
                f"Rule {b['rule']} at {s['children']:,} children: the engine's clock is "
                f"{b['reference_over_clock']:.1f}x faster than the plain-Python reference "
                f"({b['reference_over_rule']:.1f}x counting the whole rule: episode rows, "
                f"messages, coverage) and {b['pandas_over_clock']:.1f}x faster than the same "
                f"clock in pandas ({b['pandas_over_rule']:.1f}x the whole rule; pandas "
                f"findings {'identical' if b['pandas_findings_equal'] else 'NOT identical'})."
            )
    same = [s["outputs_identical"] for s in sizes]
    if all(x is True for x in same):
        lines.append("JSON and CSV outputs byte-identical to the recorded hashes at every size.")
    lines.append(README_END)
    return "\n".join(lines)


def write_readme(table: str, path: Path = ROOT / "README.md") -> None:
    text = path.read_text(encoding="utf-8")
    if README_START not in text or README_END not in text:
        raise SystemExit(f"{path} has no {README_START} ... {README_END} block to rewrite")
    before, rest = text.split(README_START, 1)
    _, after = rest.split(README_END, 1)
    path.write_text(before + table + after, encoding="utf-8")
    print(f"\nrewrote the Performance table in {path.name}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="100k,1m",
        help="comma-separated numbers of children: 100000, 100k, 1m, 5m (default 100k,1m)",
    )
    parser.add_argument("--ruleset", default="dorset")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--record", action="store_true", help="record the outputs' hashes instead of checking"
    )
    parser.add_argument(
        "--readme", action="store_true", help="rewrite README.md's Performance table"
    )
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    start_load = load_average()
    print(
        f"supervision-audit benchmark: Polars {pl.__version__}, {os.cpu_count()} cores, "
        f"ruleset {args.ruleset}, as of {AS_OF}; {start_load}"
    )
    runs = []
    with PeakRSS() as mem:
        for i, n in enumerate(sizes):
            runs.append(run_size(n, args.ruleset, mem, reference=(i == 0), record=args.record))
    figures = summary(runs)
    print_summary(runs, figures)
    end_load = load_average()
    print(f"  {end_load}")
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "summary": figures}, indent=2, default=str))
    if args.readme:
        write_readme(
            readme_table(
                runs, figures, f"{start_load} at the start, {end_load.split(' on ')[0]} at the end"
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
