"""Connecting People: support people to feel less isolated and more connected."""

__version__ = "0.1.0"
