"""supervision-audit: supervision-interval compliance auditing for children's social care."""

__version__ = "0.1.0"
