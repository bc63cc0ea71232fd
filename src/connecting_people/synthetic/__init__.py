"""Synthetic data: the demo organisation and the benchmark scales. Fake names, NHS numbers from the 999 range."""
