"""Rule kinds: one module per kind, each defining KIND. This package lists them; nothing
imports the registry back."""

from . import count, duration, interval, key_point, ratio, reschedule, timeliness
from .base import RuleKind

KINDS: tuple[RuleKind, ...] = (
    count.KIND,
    duration.KIND,
    interval.KIND,
    key_point.KIND,
    ratio.KIND,
    reschedule.KIND,
    timeliness.KIND,
)
"""Every kind, in a fixed order (the order of "expected one of" messages and the docs)."""
