"""Golden check: hashes of the JSON and CSV outputs of every shipped ruleset over the bundled
samples (canonical, Mosaic, Eclipse and SSD), so a refactor can prove its outputs unchanged.

    python -m tools.golden            # compare with tests/golden/manifest.json (exit 1 on change)
    python -m tools.golden --update   # rewrite the manifest after a deliberate change

A deliberate change to findings regenerates the manifest in the same commit, and the commit
message says which outputs changed and why.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "tests" / "golden" / "manifest.json"
RULESETS = {
    "lambeth": [],
    "dorset": [],
    "devon": [],
    "portsmouth": [],
    "worcestershire": ["--param", "personal_interval=4w"],
}
SOURCES = {
    "canonical": "sample_data",
    "mosaic": "sample_data/mosaic",
    "eclipse": "sample_data/eclipse",
    "ssd": "sample_data/ssd",
}
AS_OF = "2026-10-31"
FORMATS = ("json", "csv")


def run_one(ruleset: str, source: str, output_format: str) -> bytes:
    """The bytes `audit --format FORMAT` prints for one ruleset over one sample."""
    from supervision_audit.cli import app

    args = [
        "audit",
        "--data",
        SOURCES[source],  # relative, as a user types it: outputs quote the --data path
        "--ruleset",
        ruleset,
        "--as-of",
        AS_OF,
        "--format",
        output_format,
        *RULESETS[ruleset],
    ]
    # run from the repository so the hashes do not depend on where the checkout lives
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(app, args, catch_exceptions=False)
    finally:
        os.chdir(here)
    if result.exit_code != 0:
        raise SystemExit(f"{ruleset}/{source}/{output_format}: exit {result.exit_code}")
    return result.stdout_bytes


def compute() -> dict[str, str]:
    out: dict[str, str] = {}
    for ruleset in RULESETS:
        for source in SOURCES:
            for fmt in FORMATS:
                digest = hashlib.sha256(run_one(ruleset, source, fmt)).hexdigest()
                out[f"{ruleset}/{source}.{fmt}"] = digest
    return out


def differences(expected: dict[str, str], actual: dict[str, str]) -> list[str]:
    keys = sorted(set(expected) | set(actual))
    return [k for k in keys if expected.get(k) != actual.get(k)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the manifest")
    args = parser.parse_args(argv)
    actual = compute()
    if args.update:
        MANIFEST.parent.mkdir(parents=True, exist_ok=True)
        MANIFEST.write_text(json.dumps(actual, indent=2, sort_keys=True) + "\n")
        print(f"wrote {MANIFEST} ({len(actual)} outputs)")
        return 0
    expected = json.loads(MANIFEST.read_text())
    changed = differences(expected, actual)
    for key in changed:
        print(f"changed: {key}")
    print(f"{len(actual) - len(changed)} of {len(actual)} outputs identical")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
