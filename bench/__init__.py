"""Benchmarks: they print figures and assert nothing. Run them all with `make bench`."""
