"""`make bench`: speed and memory of each stage on generated authorities. Prints figures;
asserts nothing (a benchmark, not a test).

Stages: generate (once, cached in bench_data/), bare Polars read of the CSVs, load with
validation, audit (the rules over the loaded tables), output (JSON and CSV; the workbook
when available). On the smallest size it also runs the plain-Python reference clock on the
main case rule and prints the engine's speed ratio over it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
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


@contextmanager
def stage(name: str, rows: int, results: list[dict[str, Any]], mem: PeakRSS) -> Iterator[None]:
    gc.collect()
    mem.reset()
    start = time.perf_counter()
    yield
    seconds = time.perf_counter() - start
    mem.peak = max(mem.peak, mem._rss())
    results.append(
        {
            "stage": name,
            "seconds": seconds,
            "rows": rows,
            "rows_per_s": rows / seconds if seconds else float("inf"),
            "peak_gib": mem.peak / 2**30,
        }
    )
    print(
        f"  {name:<28} {seconds:8.2f} s  {rows:>12,} rows  "
        f"{rows / seconds if seconds else 0:>14,.0f} rows/s  peak {mem.peak / 2**30:6.2f} GiB",
        flush=True,
    )


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


def run_size(children: int, ruleset: str, mem: PeakRSS, reference: bool) -> list[dict[str, Any]]:
    from supervision_audit.audit import AuditOptions, assemble, prepare
    from supervision_audit.report.csvout import write_csv
    from supervision_audit.report.jsonout import write_json
    from supervision_audit.rules.registry import RULE_KINDS

    folder = ensure_data(children)
    files = sorted(folder.glob("*.csv"))
    total_rows = 0
    results: list[dict[str, Any]] = []
    size = sum(f.stat().st_size for f in files)
    print(f"\n{children:,} children: {len(files)} CSV files, {size / 2**20:,.0f} MiB", flush=True)
    total_rows = sum(
        pl.scan_csv(f, infer_schema=False).select(pl.len()).collect().item() for f in files
    )
    with stage("bare Polars read_csv", total_rows, results, mem):
        frames = [pl.read_csv(f, infer_schema=False) for f in files]
    del frames
    opts = AuditOptions(data=folder, ruleset=ruleset, as_of=AS_OF)
    with stage("load + validate", total_rows, results, mem):
        rs, data, ctx, scopes = prepare(opts)
    outcomes = []
    with stage("audit (all rules)", total_rows, results, mem):
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
    with stage("output JSON", n_findings, results, mem):
        write_json(result, out_dir / "audit.json")
    with stage("output CSV", n_findings, results, mem):
        write_csv(result, out_dir / "audit.csv")
    workbook = _workbook_writer()
    if workbook is not None and n_findings <= 1_100_000:
        from supervision_audit.audit import AuditRun

        run = AuditRun(result, rs, data, ctx, outcomes)
        with stage("output xlsx workbook", n_findings, results, mem):
            workbook(run, out_dir / "audit.xlsx", argv=["bench"])
    if reference:
        results += _reference_ratio(ctx, rs, results, mem)
    print(f"  findings: {n_findings:,}; data issues: {result.data_issues.height:,}", flush=True)
    return results


def _workbook_writer() -> Callable[..., Any] | None:
    try:
        from supervision_audit.report.workbook import write_workbook
    except ImportError:
        return None
    return write_workbook


def _reference_ratio(
    ctx: Any, rs: Any, results: list[dict[str, Any]], mem: PeakRSS
) -> list[dict[str, Any]]:
    """The main children's interval rule, vectorised engine vs plain-Python reference."""
    from supervision_audit.rules.kinds.interval import persons
    from supervision_audit.rules.kinds.interval_spec import rank_expr, requirements_frame
    from supervision_audit.rules.registry import RULE_KINDS
    from tests.reference import Req, reference_clock

    rule = next(r for r in rs.rules_for("children") if r.kind == "interval")
    spec = rule.spec
    out: list[dict[str, Any]] = []
    with stage(f"engine, rule {rule.id}", ctx.tables["episodes"].height, out, mem):
        RULE_KINDS["interval"].evaluate(ctx, rule)
    engine_s = out[-1]["seconds"]
    hist, as_of = ctx.history_from["children"], ctx.as_of
    codes = persons(ctx)
    with stage("reference: to Python rows", ctx.tables["episodes"].height, out, mem):
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
        rows = list(zip(*[rows_df[c].to_list() for c in rows_df.columns], strict=True))
        ev = (
            ctx.tables["case_events"]
            .filter(pl.col("kind").is_in(list(spec.counts)))
            .join(codes, on="person_id")
            .select("subject", "date")
        )
        events = list(zip(ev["subject"].to_list(), ev["date"].to_list(), strict=True))
        reqs = {
            r["rank"]: Req(r["every_days"], r["every_months"], r["limit_days"], r["limit_months"])
            for r in requirements_frame(spec).to_dicts()
        }
    with stage("reference: plain-Python clock", len(rows), out, mem):
        reference_clock(rows, events, reqs, as_of, repeat=spec.repeat)
    ref_s = out[-1]["seconds"]
    print(
        f"  engine is {ref_s / engine_s:.1f}x faster than the plain-Python reference "
        f"({engine_s:.2f} s vs {ref_s:.2f} s, conversion not counted)",
        flush=True,
    )
    out.append(
        {
            "stage": "speed ratio (reference / engine)",
            "seconds": ref_s / engine_s,
            "rows": 0,
            "rows_per_s": 0,
            "peak_gib": 0,
        }
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="100000,1000000",
        help="comma-separated numbers of children (default 100000,1000000)",
    )
    parser.add_argument("--ruleset", default="dorset")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(
        f"supervision-audit benchmark: Polars {pl.__version__}, {os.cpu_count()} cores, "
        f"ruleset {args.ruleset}, as of {AS_OF}"
    )
    figures: dict[str, Any] = {}
    with PeakRSS() as mem:
        for i, n in enumerate(sizes):
            figures[str(n)] = run_size(n, args.ruleset, mem, reference=(i == 0))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
