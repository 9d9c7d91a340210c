"""supervision-audit: supervision-interval compliance auditing for children's social care.

The library the command line is a thin layer over::

    from supervision_audit import AuditOptions, run_audit
    run = run_audit(AuditOptions(data=Path("exports"), ruleset="dorset", as_of=date(2026, 10, 31)))
    run.result.summary, run.result.findings   # a dict and a Polars frame (the JSON contract)
"""

from ._version import __version__
from .audit import AuditOptions, AuditRun, run_audit
from .dates import Interval, parse_as_of, uk_date
from .errors import AuditError, InputError, RulesetError, UsageError
from .findings import FINDING_KEYS, AuditResult
from .rules.loading import builtin_names, load_ruleset
from .rules.model import Rule, Ruleset
from .rules.registry import RULE_KINDS
from .sources import load_data

__all__ = [
    "FINDING_KEYS",
    "RULE_KINDS",
    "AuditError",
    "AuditOptions",
    "AuditResult",
    "AuditRun",
    "InputError",
    "Interval",
    "Rule",
    "Ruleset",
    "RulesetError",
    "UsageError",
    "__version__",
    "builtin_names",
    "load_data",
    "load_ruleset",
    "parse_as_of",
    "run_audit",
    "uk_date",
]
