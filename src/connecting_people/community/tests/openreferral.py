"""Where the shared Open Referral fixtures are (read in place, never copied), and a skip when they are not."""

import os
from pathlib import Path

import pytest

OPENREFERRAL = Path(
    os.environ.get(
        "CONNECTING_PEOPLE_OPENREFERRAL_FIXTURES",
        Path(__file__).resolve().parents[4] / ".." / "shared" / "fixtures" / "openreferral",
    )
)
HSDS = OPENREFERRAL / "hsds-3.0"
ORUK = OPENREFERRAL / "oruk-3.0"
DASHBOARD = OPENREFERRAL / "oruk-v1-dashboard-snapshot" / "V1_DashboardResponse.json"
SERVICE_ID = "ac148810-d857-441c-9679-408f346de14b"  # "Community Counselling", in every example
ORGANISATION_ID = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"

needs_fixtures = pytest.mark.skipif(
    not (HSDS / "service_full.json").exists(),
    reason=f"the shared Open Referral fixtures are not at {OPENREFERRAL} "
    "(set CONNECTING_PEOPLE_OPENREFERRAL_FIXTURES to their folder)",
)
