"""Benchmarks for Connecting People: `make bench` (or `python -m bench`) writes docs/performance.md.

The parent process (`bench.__main__`) prepares a fresh database per scale and engine, runs one child process
per database (`bench.run_one`, which configures Django for that database, migrates, generates the synthetic
scale and times the pages) and writes the report (`bench.report`).
"""
