"""Time-tracker imports: exports read, entries kept per client, hours per budget period."""
