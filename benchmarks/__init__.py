"""Benchmarks and the end-to-end demo; run through `make bench` and `make demo`."""
