"""The data-protection duties, for a trust's data protection officer: subject access, restriction of
processing, erasure, and retention (see docs/data-protection.md and ADR 0012)."""
