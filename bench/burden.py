"""Practitioner burden: the interactions a whole plan–do–review cycle takes through the pages (DESIGN.md target:
at most 60, the map of 8 entries and 2 ties in at most 20).

The cycle itself is the browser journey `e2e/test_burden.py`; this runs it once in a child pytest (SQLite, a
live server, Debian's Chromium), asks it for its counts through `BURDEN_REPORT`, and returns the Markdown section
for docs/performance.md. `python -m bench.burden` prints the section alone.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JOURNEY = "e2e/test_burden.py"
BUDGET, MAP_BUDGET = 60, 20
KINDS = ("click", "type", "choose", "key", "drag")


def measure() -> dict:
    """Run the journey and return what it counted: {"stages": {name: n}, "kinds": {stage: {kind: n}}, "total"}."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "burden.json"
        env = os.environ | {"BURDEN_REPORT": str(report), "CONNECTING_PEOPLE_ENV": "test"}
        env.pop("DATABASE_URL", None)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", JOURNEY]
        subprocess.run(command, cwd=ROOT, env=env, check=True)
        return json.loads(report.read_text())


def section(counted: dict) -> str:
    stages = counted["stages"]
    kinds = counted["kinds"]
    lines = [
        "## Practitioner burden",
        "",
        "A whole cycle for one new person on `practitioner.a`'s caseload, through the pages only and by keyboard "
        "alone, from the home page to the saved review (`e2e/test_burden.py`). Counted as a person would: a "
        "link or button pressed, a field typed in, a checkbox or radio chosen, a key pressed to move on (Enter "
        "after a name on the map). Moving into a field is part of typing in it; a page that opens by itself "
        "after a save (the next thing due) costs nothing. `make test` fails the journey above "
        f"{BUDGET} in all or {MAP_BUDGET} for the map.",
        "",
        "| stage | " + " | ".join(KINDS) + " | interactions |",
        "|---|" + "--:|" * (len(KINDS) + 1),
    ]
    for name, total in stages.items():
        per_kind = next((found for stage, found in kinds.items() if stage.endswith(name)), {})
        cells = " | ".join(str(per_kind.get(kind, 0)) for kind in KINDS)
        lines.append(f"| {name} | {cells} | {total} |")
    lines += [
        f"| **whole cycle** | | | | | | **{counted['total']}** (target at most {BUDGET}; 132 before issue 13) |",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(section(measure()))
