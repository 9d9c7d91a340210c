"""What managers read, from the same engine run as the audit: the due list, one subject's
explained timeline, the per-supervisor scorecard, and the sample of files to audit."""
