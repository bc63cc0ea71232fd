"""Forms of the study pages, one module per area (setup, participants, exports, reports)."""
