"""Fixtures for the pure measures tests: the shipped definitions and the shared reference tables."""

from pathlib import Path

import pytest

from connecting_people.measures.definitions import Catalogue, load_shipped

# The project's shared reference folder sits beside the repository checkout (…/main/../shared).
REFERENCE_DIR = Path(__file__).resolve().parents[4] / ".." / "shared" / "reference"


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_shipped()


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not REFERENCE_DIR.is_dir():
        pytest.skip(f"the shared reference tables are not beside this checkout ({REFERENCE_DIR.resolve()})")
    return REFERENCE_DIR
