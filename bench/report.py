"""Turns benchmark results into docs/performance.md."""

import os
import platform
from datetime import datetime
from importlib import metadata
from pathlib import Path

from bench.maps import BIG_ENTRIES, BIG_TIES, MAP_REQUESTS, MAP_WARMUP, SMALL_ENTRIES, SMALL_TIES

ENGINES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
PAGE_ORDER = [
    "caseload",
    "team",
    "person",
    "measures",
    "map",
    "map_small",
    "team_dashboard",
    "trust_dashboard",
    "api_people",
    "api_person",
    "api_opportunities",
    "api_opportunity",
]
# DESIGN.md, "Performance targets": person, caseload and map pages; team and trust dashboards.
P95_TARGET_MS = 100
DASHBOARDS = ("team_dashboard", "trust_dashboard")
DASHBOARD_P95_TARGET_MS = 300
GENERATION_TARGET_S = {"M": 120, "L": 1800}

METHOD = """\
How the numbers are made (`bench/`):

- **Data.** For each database engine and scale, a fresh database (SQLite: `var/bench/bench-<scale>.sqlite3`;
  PostgreSQL: `connecting_people_bench`, dropped and created again) is migrated and filled by
  `connecting-people demo --scale <S|M|L> --seed {seed}`, timed from the start of the command to its commit
  (the process start-up and migrations are not included). Then `ANALYZE` refreshes the planner statistics, as
  autovacuum would shortly after a bulk load.
- **Pages.** Django's test `Client` in the same process (no network, no web server): the full middleware stack,
  view, database and Jinja2 rendering, with the local settings and `DEBUG` off, MFA off (no MFA step on
  page views), database connections kept open between requests. Users sign in with their password:
  practitioners `<scale><seed>.worker<team>.1` and team leads `<scale><seed>.lead<team>` of the first five
  teams (two at S), requests rotating among them; the team dashboard rotates over those leads' teams, the trust
  dashboard is read by the trust's implementation lead `<scale><seed>.impl1`. The person overview rotates over
  up to 20 people from each of those practitioners' caseloads, and every view writes an audit event (hash
  chain; on PostgreSQL under an advisory lock), as in production.
- **Map pages.** On top of the scale's own synthetic maps, `bench/maps.py` gives each of those practitioners'
  first person a new latest map of {big_entries} entries and {big_ties} ties, and their second person one of
  {small_entries} entries and {small_ties} ties; each map page is timed over {map_requests} requests after
  {map_warmup} untimed ones, and the two must cost the same number of queries.
- **Counts and timings.** After {warmup} untimed requests per page, 20 requests run with the SQL captured
  (query count, including `BEGIN`/`COMMIT`/savepoints and the session read and write), then {requests} timed
  requests without capture give p50 and p95 (inclusive percentiles), mean and maximum, in milliseconds of
  wall-clock time. "CPU p50" is the benchmark process's own CPU time per request (Django, Jinja2 and, for
  SQLite, the database; not the PostgreSQL server's work): it moves less than wall time when the machine
  is busy with other work.
- **Constant query count** across data sizes is also enforced by a test,
  `src/connecting_people/people/tests/test_query_counts.py` (3 against 30 people).
- The machine is shared with other work (load average below), so treat single numbers as indicative and
  compare rows from the same run.
"""


def machine_facts(*, load_before: tuple[float, float, float]) -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "django": metadata.version("django"),
        "psycopg": metadata.version("psycopg"),
        "load_before": ", ".join(f"{value:.2f}" for value in load_before),
        "load_after": ", ".join(f"{value:.2f}" for value in os.getloadavg()),
    }


def _fmt(value: float) -> str:
    return f"{value:,.1f}"


def _queries(page: dict) -> str:
    low, high = page["queries_min"], page["queries_max"]
    return str(low) if low == high else f"{low}–{high}"


def _engine_section(engine: str, runs: list[dict]) -> list[str]:
    lines = [f"## {ENGINES.get(engine, engine)} {runs[0]['database']['version']}", ""]
    lines += [
        "| Scale | Trusts | Teams | Staff | People | Person tags | Measures | Maps | Map entries | Map ties "
        "| Generate (s) | Target |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for run in runs:
        rows = run["rows"]
        target = GENERATION_TARGET_S.get(run["scale"])
        generated = run["generate_s"]
        verdict = ""
        if target is not None and generated is not None:
            verdict = f"under {target // 60} min: {'yes' if generated < target else 'NO'}"
        lines.append(
            f"| {run['scale']} | {rows['trusts']:,} | {rows['teams']:,} | {rows['staff']:,} | {rows['people']:,} "
            f"| {rows['person_tags']:,} | {rows.get('administrations', 0):,} | {rows.get('map_snapshots', 0):,} "
            f"| {rows.get('map_entries', 0):,} | {rows.get('map_ties', 0):,} "
            f"| {'' if generated is None else f'{generated:.1f}'} | {verdict} |"
        )
    lines += [
        "",
        "| Page | Scale | Queries | p50 (ms) | p95 (ms) | Mean (ms) | Max (ms) | CPU p50 (ms) | HTML (KB) |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    labels = {}
    for run in runs:
        for page in run["pages"]:
            labels[page["page"]] = page["label"]
    for name in sorted(labels, key=lambda n: PAGE_ORDER.index(n) if n in PAGE_ORDER else 99):
        for run in runs:
            page = next((p for p in run["pages"] if p["page"] == name), None)
            if page is None:
                continue
            lines.append(
                f"| {labels[name]} | {run['scale']} | {_queries(page)} | {_fmt(page['p50_ms'])} "
                f"| {_fmt(page['p95_ms'])} | {_fmt(page['mean_ms'])} | {_fmt(page['max_ms'])} "
                f"| {_fmt(page.get('cpu_p50_ms', float('nan')))} | {page['html_kb']} |"
            )
    lines += ["", *_verdicts(runs), ""]
    return lines


def _verdicts(runs: list[dict]) -> list[str]:
    notes = []
    by_page: dict[str, dict[str, dict]] = {}
    for run in runs:
        for page in run["pages"]:
            by_page.setdefault(page["page"], {})[run["scale"]] = page
    if len(runs) > 1:
        constant = all(
            len({(p["queries_min"], p["queries_max"]) for p in scales.values()}) == 1
            and all(p["queries_min"] == p["queries_max"] for p in scales.values())
            for scales in by_page.values()
        )
        notes.append(
            f"- Query count the same at every scale measured ({', '.join(r['scale'] for r in runs)}): "
            f"{'yes' if constant else 'NO, see the table'}."
        )
    for scale, pages in sorted(by_page.get("map", {}).items(), key=lambda item: "SML".index(item[0])):
        small = by_page.get("map_small", {}).get(scale)
        if small is not None:
            same = (pages["queries_min"], pages["queries_max"]) == (
                small["queries_min"],
                small["queries_max"],
            )
            notes.append(
                f"- Map page at {scale}: {_queries(pages)} queries with {BIG_ENTRIES} entries and {BIG_TIES} ties, "
                f"{_queries(small)} with {SMALL_ENTRIES} entries: {'the same' if same else 'NOT the same'}; "
                f"p95 {_fmt(pages['p95_ms'])} ms "
                f"(target under {P95_TARGET_MS} ms: {'yes' if pages['p95_ms'] < P95_TARGET_MS else 'NO'})."
            )
    for scale in ("M", "L"):
        p95s = {
            name: scales[scale]["p95_ms"]
            for name, scales in by_page.items()
            if scale in scales and name not in DASHBOARDS
        }
        if p95s:
            within = [name for name, p95 in p95s.items() if p95 < P95_TARGET_MS]
            notes.append(
                f"- p95 under {P95_TARGET_MS} ms at {scale} (the target is at L on PostgreSQL): "
                + ", ".join(
                    f"{name} {'yes' if name in within else 'NO'} ({_fmt(p95)} ms)"
                    for name, p95 in p95s.items()
                )
                + "."
            )
        dashboards = {
            name: by_page[name][scale]["p95_ms"] for name in DASHBOARDS if scale in by_page.get(name, {})
        }
        if dashboards:
            notes.append(
                f"- Dashboards p95 under {DASHBOARD_P95_TARGET_MS} ms at {scale} (issue 6 at M; DESIGN.md at L): "
                + ", ".join(
                    f"{name} {'yes' if p95 < DASHBOARD_P95_TARGET_MS else 'NO'} ({_fmt(p95)} ms)"
                    for name, p95 in dashboards.items()
                )
                + "."
            )
    if all(scale in scales for scales in by_page.values() for scale in ("M", "L")) and by_page:
        ratios = {name: scales["L"]["p95_ms"] / scales["M"]["p95_ms"] for name, scales in by_page.items()}
        notes.append(
            "- p95 at L over p95 at M (target at most 1.5): "
            + ", ".join(f"{name} {ratio:.2f}" for name, ratio in ratios.items())
            + "."
        )
    return notes


NOTES_MARKER = (
    "<!-- Everything below this line is written by hand and kept when `make bench` rewrites the file. -->"
)


def kept_notes(path: Path) -> str:
    """The hand-written part of an existing report (after NOTES_MARKER), or a fresh heading for one."""
    if path.exists():
        text = path.read_text()
        if NOTES_MARKER in text:
            return text[text.index(NOTES_MARKER) :]
    return f"{NOTES_MARKER}\n\n## Notes\n"


def render(
    results: list[dict],
    *,
    machine: dict,
    skipped: dict[str, str],
    requests: int,
    warmup: int,
    seed: int,
    elapsed_s: float,
    notes: str = "",
    sections: tuple[str, ...] = (),
) -> str:
    engines: dict[str, list[dict]] = {}
    for run in results:
        engines.setdefault(run["database"]["vendor"], []).append(run)
    lines = [
        "# Performance",
        "",
        "Written by `make bench` (`.venv/bin/python -m bench`); rerun it rather than editing these numbers by hand.",
        'Targets are in `../shared/DESIGN.md`, "Performance targets"; this covers the first of them: synthetic',
        "data at scale, the query count and latency of the caseload, team caseload, person, measures and map pages,",
        "the team and trust dashboards, the speed of outcome-measure scoring, and connections map measures in bulk.",
        "",
        METHOD.format(
            seed=seed,
            warmup=warmup,
            requests=requests,
            big_entries=BIG_ENTRIES,
            big_ties=BIG_TIES,
            small_entries=SMALL_ENTRIES,
            small_ties=SMALL_TIES,
            map_requests=MAP_REQUESTS,
            map_warmup=MAP_WARMUP,
        ),
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        f"| Date | {machine['date']} |",
        f"| CPU | {machine['cpu']}, {machine['cores']} cores |",
        f"| Memory | {machine['memory']} |",
        f"| OS | {machine['os']} |",
        f"| Python | {machine['python']} |",
        f"| Django | {machine['django']} (psycopg {machine['psycopg']}) |",
    ]
    for engine, runs in engines.items():
        lines.append(f"| {ENGINES.get(engine, engine)} | {runs[0]['database']['version']} |")
    for name, reason in skipped.items():
        lines.append(f"| {name} | not measured: {reason} |")
    lines += [
        f"| Load average (1, 5, 15 min) | {machine['load_before']} before, {machine['load_after']} after |",
        f"| Run | seed {seed}, {elapsed_s:.0f} s in all |",
        "",
    ]
    for engine, runs in engines.items():
        lines += _engine_section(engine, runs)
    if not any(run["scale"] == "L" for run in results):
        lines += [
            "## Scale L",
            "",
            "Not measured by `make bench`: generating 250,000 people and running the pages takes too long for a",
            "routine run on this machine. `.venv/bin/python -m bench --postgres-scales S,M,L` measures it",
            "(the DESIGN.md latency targets for L are on PostgreSQL).",
            "",
        ]
    elif any(run["scale"] != "L" for run in results) and not all(
        any(run["scale"] == "L" for run in runs) for runs in engines.values()
    ):
        measured = [ENGINES.get(e, e) for e, runs in engines.items() if any(r["scale"] == "L" for r in runs)]
        lines += [f"Scale L was measured on {' and '.join(measured)} only (`--postgres-scales S,M,L`).", ""]
    for section in sections:
        lines += [section.rstrip(), ""]
    if notes:
        lines += [notes.rstrip(), ""]
    return "\n".join(lines)
