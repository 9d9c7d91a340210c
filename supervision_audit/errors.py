"""The library's own exceptions; the CLI turns them into one-line messages and exit codes."""

from __future__ import annotations


class AuditError(Exception):
    """A user or input error: shown as one line, exit code 2 (never a traceback)."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        rule: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        self.rule = rule
        self.line = line

    def location(self) -> str:
        """Where the problem is, as 'file, line 3, rule X, row 4, column y' (no data values)."""
        parts = []
        if self.file:
            parts.append(str(self.file))
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.rule:
            parts.append(f"rule {self.rule}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        loc = self.location()
        return f"{loc}: {self.message}" if loc else self.message


class InputError(AuditError):
    """A data file or column is missing, unreadable, or not what it must be."""


class RulesetError(AuditError):
    """A ruleset, profile or config file is invalid."""


class UsageError(AuditError):
    """An option or argument is invalid."""
