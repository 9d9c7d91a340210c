"""Development tools: not part of the installed package (benchmark, synthetic data, checks)."""
