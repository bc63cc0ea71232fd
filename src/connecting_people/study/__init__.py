"""Evaluation study: sites, arms, participants, timepoints, completeness, pseudonymised export, analysis, report.

How the app is laid out (the convention; a newcomer can tell from a path whether a module may touch Django):

* **The top level is the Django app.** `models.py` and `migrations/` (where Django wants them), `apps.py`,
  `scopes.py` (who reaches which participants, consents and assessments: the scope rules `core.scoping.scoped`
  answers with), `selectors.py` (every read a page or command makes, starting from `scoped(actor, Model)`),
  `services.py` (every write a person makes through a page or a command, each in one transaction with its audit
  event), `jobs.py` (the background job records: asked for, run, downloaded), `keys.py` (the deployment's study
  key, from settings) and `costs.py` (the unit-cost table, from the database). The interfaces sit on top:
  `views/` + `forms/` + `urls.py` (the pages), `commands/` (the `connecting-people study ...` command line,
  behind `management/commands/study.py`) and `jinja2/` (templates).
* **Each capability is a sub-package whose name says what it does**, and inside it the split is always the same:
  every module is **pure** (standard library and the science stack only, never Django: it can be run, tested and
  benchmarked on plain rows) except **`db.py`, the one Django adapter**, which reads the database into the plain
  rows the pure modules take and, for the capabilities a background job makes, writes the job's outcome.
  Importing the package itself never imports its `db.py`.

  - `design/`: the trial design (allocation of teams to arms, timepoint windows and statuses). Pure only.
  - `completeness/`: completeness by site, arm and timepoint, and the participant flow (`flow.py`, with its
    drawing); `db.py` loads the rows in a fixed handful of queries.
  - `export/`: the pseudonymised export (IDs, dates, allow-lists, writers, identifier scanner); `db.py` streams
    the study's rows from database cursors through it (`make_export`, the export job's maker).
  - `analysis/`: intention-to-treat models, fidelity and outcome, cost-effectiveness; `db.py` reads a study's
    rows and plan from the database (`study_analysis`).
  - `report/`: the analysis report (document, charts, number formats); `db.py` makes the report job's file and
    answers its downloads (`make_report`).
  - `simulation/`: a simulated study with a known effect (the package itself); `db.py` loads one into the
    database in one transaction (`load_simulated`, behind `study simulate` and the synthetic data).

So writes live in `services.py` (what people do), `jobs.py` (job records), and the `db.py` of the capabilities
that write a result (`export/`, `report/`: the job's file and its audit; `simulation/`: a whole simulated study).
Reads of study data from other apps go through `selectors.py`; reads of other apps' personal data go through
those apps' selectors (the export's maps and names: `connections.selectors`, `people.selectors`).

Selectors and services take the actor (`actor=`, `accounts.actor.Actor`: views pass `request.actor`, commands
make `actor_for(user)`), raise `NotFoundError` for anything out of reach and a coded `ServiceError` for a refusal.
"""
