"""Benchmarks: ``python -m experiments.bench.<name>``. Each prints a table and, as its last line,
one JSON object ``{"bench", "ratios", "targets", "passed"}`` with ratios against a reference run
in the same process (larger is better)."""
