"""`python -m supervision_audit`: the same as the `supervision-audit` command."""

from .cli import main

main()
