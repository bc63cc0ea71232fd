"""Evaluation study: sites, arms, participants, timepoints, completeness, pseudonymised export, analysis.

The pure parts live beside the Django app and import nothing from Django: ``analysis/`` (intention-to-treat
models, fidelity–outcome, cost-effectiveness) and ``simulation.py`` (a study with a known effect).
"""
