"""Outcome measures: instruments as data (definitions.py), exact vectorised scoring (scoring/), answer checks."""
