"""Benchmarks at a million errors: a data generator and an HTTP harness (``make bench``)."""
