"""The completeness counts and the flow of participants, on plain rows (no database), and the flow drawing."""

import random
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from connecting_people.study import completeness as c
from connecting_people.study.completeness import AssessmentRow, ParticipantRow, TimepointRow
from connecting_people.study.completeness.flow import ArmFlow, FlowCounts, flow_description, flow_svg
from connecting_people.study.design.schedule import Window

TODAY = date(2026, 6, 1)
BASELINE = TimepointRow("baseline", "Baseline", Window(0, 0, 28), ("a", "b"))
# Six months: in window from day 154 to day 238.
M6 = TimepointRow("m6", "6 months", Window(182, 28, 56), ("a", "b"))
TIMEPOINTS = (BASELINE, M6)


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def person(pid, site, arm, anchor_days_ago, **withdrawal) -> ParticipantRow:
    return ParticipantRow(id=pid, site=site, arm=arm, anchor=ago(anchor_days_ago), **withdrawal)


def recorded(pid, timepoint, *instruments, outside=(), unscored=()) -> list[AssessmentRow]:
    return [
        AssessmentRow(pid, timepoint, name, in_window=name not in outside, scored=name not in unscored)
        for name in instruments
    ]


# Today is day N of each participant's schedule, N = the days ago of their anchor.
PARTICIPANTS = [
    # day 300: baseline done; 6 months: only a recorded, window closed -> missed, missing b
    person("p1", "s1", "intervention", 300),
    # day 10: baseline a only, window open till day 28 -> window open; 6 months not yet due
    person("p2", "s1", "intervention", 10),
    # day 200: baseline done, b outside the window; 6 months done, but a could not be scored
    person("p3", "s1", "control", 200),
    # day 100, withdrew on day 5 keeping their data: baseline done; 6 months missed (withdrew), missing a and b
    person(
        "p4",
        "s1",
        "control",
        100,
        status="withdrawn",
        withdrawn_on=ago(95),
        withdrawal_reason="unwell",
        withdrawal_choice="keep-collected",
    ),
    # day 250, withdrew asking for removal: recruited and withdrawn, in no data count; followed up in the flow
    person(
        "p5",
        "s2",
        "intervention",
        250,
        status="withdrawn",
        withdrawn_on=ago(10),
        withdrawal_reason="participant_choice",
        withdrawal_choice="remove-data",
    ),
    # day 40, nothing recorded: baseline missed (missing a and b); 6 months not yet due
    person("p6", "s2", "control", 40),
    # day 160: baseline done; 6 months window open (opened day 154), nothing yet
    person("p7", "s2", "control", 160),
    # day 300: baseline done; 6 months nothing, window closed -> missed, missing a and b
    person("p8", "s1", "control", 300),
    # day 240, withdrew on day 239 (after the 6-month window closed on day 238): baseline done; 6 months missed
    person(
        "p9",
        "s2",
        "intervention",
        240,
        status="withdrawn",
        withdrawn_on=ago(1),
        withdrawal_reason="moved",
        withdrawal_choice="keep-collected",
    ),
]
ASSESSMENTS = [
    *recorded("p1", "baseline", "a", "b"),
    *recorded("p1", "m6", "a"),
    *recorded("p2", "baseline", "a"),
    *recorded("p3", "baseline", "a", "b", outside=("b",)),
    *recorded("p3", "m6", "a", "b", unscored=("a",)),
    *recorded("p4", "baseline", "a", "b"),
    *recorded("p5", "baseline", "a", "b"),
    *recorded("p5", "m6", "a", outside=("a",)),
    *recorded("p7", "baseline", "a", "b"),
    *recorded("p8", "baseline", "a", "b"),
    *recorded("p9", "baseline", "a", "b"),
]


@pytest.fixture
def numbers():
    return c.completeness(
        participants=PARTICIPANTS, timepoints=TIMEPOINTS, assessments=ASSESSMENTS, today=TODAY
    )


def counts_of(found: c.Counts) -> dict:
    return {name: getattr(found, name) for name in c.COUNT_FIELDS} | {"missing": dict(found.missing)}


def expect(
    recruited=0,
    withdrawn=0,
    removed=0,
    restricted=0,
    assessed=0,
    in_window=0,
    outside_window=0,
    complete=0,
    not_yet_due=0,
    window_open=0,
    missed=0,
    missing=(0, 0),
) -> dict:
    return {
        "recruited": recruited,
        "withdrawn": withdrawn,
        "removed": removed,
        "restricted": restricted,
        "assessed": assessed,
        "in_window": in_window,
        "outside_window": outside_window,
        "complete": complete,
        "not_yet_due": not_yet_due,
        "window_open": window_open,
        "missed": missed,
        "missing": {"a": missing[0], "b": missing[1]},
    }


def test_baseline_by_site_and_arm(numbers):
    # s1 intervention: p1 complete; p2 has a only and the window is open. Both in window.
    assert counts_of(numbers.counts("baseline", site="s1", arm="intervention")) == expect(
        recruited=2, assessed=2, in_window=2, complete=1, window_open=1
    )
    # s1 control: p3 (b outside window), p4 (withdrew later, data kept), p8: all complete.
    assert counts_of(numbers.counts("baseline", site="s1", arm="control")) == expect(
        recruited=3, withdrawn=1, assessed=3, in_window=2, outside_window=1, complete=3
    )
    # s2 intervention: p5 asked for removal (recruited, withdrawn, nothing else); p9 complete.
    assert counts_of(numbers.counts("baseline", site="s2", arm="intervention")) == expect(
        recruited=2, withdrawn=2, removed=1, assessed=1, in_window=1, complete=1
    )
    # s2 control: p6 missed the baseline window (missing both); p7 complete.
    assert counts_of(numbers.counts("baseline", site="s2", arm="control")) == expect(
        recruited=2, assessed=1, in_window=1, complete=1, missed=1, missing=(1, 1)
    )


def test_six_months_by_site_and_arm(numbers):
    # p1 recorded a (in window) but not b before the window closed; p2 not yet due.
    assert counts_of(numbers.counts("m6", site="s1", arm="intervention")) == expect(
        recruited=2, assessed=1, in_window=1, not_yet_due=1, missed=1, missing=(0, 1)
    )
    # p3 complete; p4 withdrew before the window closed; p8 let it close: both missing a and b.
    assert counts_of(numbers.counts("m6", site="s1", arm="control")) == expect(
        recruited=3, withdrawn=1, assessed=1, in_window=1, complete=1, missed=2, missing=(2, 2)
    )
    # p5's 6-month a is not counted (removal); p9 missed.
    assert counts_of(numbers.counts("m6", site="s2", arm="intervention")) == expect(
        recruited=2, withdrawn=2, removed=1, missed=1, missing=(1, 1)
    )
    # p6 not yet due; p7's window is open.
    assert counts_of(numbers.counts("m6", site="s2", arm="control")) == expect(
        recruited=2, not_yet_due=1, window_open=1
    )


def test_totals_by_site_by_arm_and_overall(numbers):
    assert counts_of(numbers.counts("baseline", site="s1")) == expect(
        recruited=5, withdrawn=1, assessed=5, in_window=4, outside_window=1, complete=4, window_open=1
    )
    assert counts_of(numbers.counts("baseline", site="s2")) == expect(
        recruited=4, withdrawn=2, removed=1, assessed=2, in_window=2, complete=2, missed=1, missing=(1, 1)
    )
    assert counts_of(numbers.counts("m6", arm="intervention")) == expect(
        recruited=4, withdrawn=2, removed=1, assessed=1, in_window=1, not_yet_due=1, missed=2, missing=(1, 2)
    )
    assert counts_of(numbers.counts("m6", arm="control")) == expect(
        recruited=5,
        withdrawn=1,
        assessed=1,
        in_window=1,
        complete=1,
        not_yet_due=1,
        window_open=1,
        missed=2,
        missing=(2, 2),
    )
    overall = numbers.counts("m6")
    assert counts_of(overall) == expect(
        recruited=9,
        withdrawn=3,
        removed=1,
        assessed=2,
        in_window=2,
        complete=1,
        not_yet_due=2,
        window_open=1,
        missed=4,
        missing=(3, 4),
    )
    assert overall.in_data == 8
    assert counts_of(numbers.counts("baseline")) == expect(
        recruited=9,
        withdrawn=3,
        removed=1,
        assessed=7,
        in_window=6,
        outside_window=1,
        complete=6,
        window_open=1,
        missed=1,
        missing=(1, 1),
    )


def test_recruitment_and_layout(numbers):
    assert numbers.sites == ("s1", "s2")
    assert numbers.arms == ("intervention", "control")
    assert [point.code for point in numbers.timepoints] == ["baseline", "m6"]
    assert (numbers.recruited().recruited, numbers.recruited().withdrawn, numbers.recruited().removed) == (
        9,
        3,
        1,
    )
    assert numbers.recruited(site="s2", arm="control").recruited == 2


def test_a_site_without_participants_shows_zeros():
    found = c.completeness(
        participants=PARTICIPANTS[:1],
        timepoints=TIMEPOINTS,
        assessments=ASSESSMENTS,
        today=TODAY,
        sites=["s1", "s3"],
    )
    assert found.sites == ("s1", "s3")
    assert counts_of(found.counts("m6", site="s3")) == expect()
    assert found.counts("m6", site="s3", arm="control").recruited == 0


def test_a_study_without_timepoints_still_counts_recruitment():
    found = c.completeness(participants=PARTICIPANTS, timepoints=(), assessments=ASSESSMENTS, today=TODAY)
    assert found.timepoints == ()
    assert found.recruited().recruited == 9
    assert found.recruited(arm="control").withdrawn == 1


def test_the_flow_by_hand():
    flow = c.flow(
        participants=PARTICIPANTS,
        timepoints=TIMEPOINTS,
        assessments=ASSESSMENTS,
        teams={"intervention": 2, "control": 3},
        not_enrolled={
            "Declined to take part": 4,
            "Did not meet the eligibility criteria": 2,
            "Other reason": 0,
        },
        primary_instrument="a",
        today=TODAY,
    )
    assert flow.follow_up_label == "6 months"
    assert flow.enrolled == 9
    assert flow.not_enrolled == {"Declined to take part": 4, "Did not meet the eligibility criteria": 2}
    assert flow.assessed == 15
    intervention, control = flow.arms
    # p1 and p5 have a at 6 months; p2 is not yet due; p9 withdrew a day after the window closed (missed it).
    # p5 asked for their data to be removed: followed up, not analysed.
    assert intervention == ArmFlow(
        arm="intervention",
        teams=2,
        allocated=4,
        followed_up=2,
        lost={c.MISSED_FOLLOW_UP: 1, c.NOT_YET_DUE: 1},
        analysed=1,
        excluded={c.REMOVED: 1},
    )
    # p3 has a at 6 months but it could not be scored; p4 withdrew (unwell) before the window closed; p8 missed
    # it; p7's window is open; p6 is not yet due.
    assert control == ArmFlow(
        arm="control",
        teams=3,
        allocated=5,
        followed_up=1,
        lost={
            "Withdrew, too unwell to continue": 1,
            c.MISSED_FOLLOW_UP: 1,
            c.WINDOW_OPEN: 1,
            c.NOT_YET_DUE: 1,
        },
        analysed=0,
        excluded={c.NOT_SCORED: 1},
    )
    assert list(control.lost) == [
        "Withdrew, too unwell to continue",
        c.MISSED_FOLLOW_UP,
        c.WINDOW_OPEN,
        c.NOT_YET_DUE,
    ]
    for arm in flow.arms:
        assert arm.allocated == arm.followed_up + sum(arm.lost.values())
        assert arm.analysed == arm.followed_up - sum(arm.excluded.values())


def test_a_participant_whose_processing_is_restricted_counts_as_recruited_and_restricted_only():
    """Their assessments are not counted even if they reach the pure module (the database layer does not read
    them), their withdrawal neither; in the flow they are allocated and not followed up for that reason."""
    restricted = person(
        "p10",
        "s1",
        "intervention",
        300,
        restricted=True,
        status="withdrawn",
        withdrawn_on=ago(10),
        withdrawal_reason="participant_choice",
        withdrawal_choice="remove-data",
    )
    with_them = [*ASSESSMENTS, *recorded("p10", "baseline", "a", "b"), *recorded("p10", "m6", "a", "b")]
    found = c.completeness(
        participants=[*PARTICIPANTS, restricted], timepoints=TIMEPOINTS, assessments=with_them, today=TODAY
    )
    without = c.completeness(
        participants=PARTICIPANTS, timepoints=TIMEPOINTS, assessments=ASSESSMENTS, today=TODAY
    )
    for point in ("baseline", "m6"):
        cell, before = (
            found.counts(point, site="s1", arm="intervention"),
            without.counts(point, site="s1", arm="intervention"),
        )
        assert counts_of(cell) == counts_of(before) | {
            "recruited": before.recruited + 1,
            "restricted": 1,
        }
        assert cell.in_data == before.in_data

    def intervention_flow(participants, assessments):
        return c.flow(
            participants=participants,
            timepoints=TIMEPOINTS,
            assessments=assessments,
            teams={},
            not_enrolled={},
            primary_instrument="a",
            today=TODAY,
        ).arms[0]

    arm = intervention_flow([*PARTICIPANTS, restricted], with_them)
    before = intervention_flow(PARTICIPANTS, ASSESSMENTS)
    assert arm.allocated == before.allocated + 1
    assert arm.lost == before.lost | {c.RESTRICTED: 1}
    assert (arm.followed_up, arm.analysed, arm.excluded) == (
        before.followed_up,
        before.analysed,
        before.excluded,
    )


def test_the_flow_at_a_chosen_timepoint_and_with_none_after_baseline():
    at_baseline = c.flow(
        participants=PARTICIPANTS,
        timepoints=TIMEPOINTS,
        assessments=ASSESSMENTS,
        teams={},
        not_enrolled={},
        primary_instrument="a",
        today=TODAY,
        follow_up="baseline",
    )
    assert at_baseline.follow_up_label == "Baseline"
    # a at baseline: everyone but p6 (and p5, who is followed up but excluded).
    assert [(arm.followed_up, arm.analysed) for arm in at_baseline.arms] == [(4, 3), (4, 4)]
    assert at_baseline.arms[1].lost == {c.MISSED_FOLLOW_UP: 1}
    none = c.flow(
        participants=PARTICIPANTS,
        timepoints=(BASELINE,),
        assessments=ASSESSMENTS,
        teams={},
        not_enrolled={},
        primary_instrument="a",
        today=TODAY,
    )
    assert none.follow_up_label == "follow-up"
    # Withdrawn or not, nobody can be followed up when there is no follow-up timepoint.
    assert [arm.lost for arm in none.arms] == [{c.NO_FOLLOW_UP: 4}, {c.NO_FOLLOW_UP: 5}]
    assert [arm.teams for arm in none.arms] == [0, 0]


def test_row_order_changes_nothing(numbers):
    rng = random.Random(7)
    people, rows = list(PARTICIPANTS), list(ASSESSMENTS)
    rng.shuffle(people)
    rng.shuffle(rows)
    again = c.completeness(participants=people, timepoints=TIMEPOINTS, assessments=rows, today=TODAY)
    assert again == numbers


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_counts_add_up_on_random_studies(seed):
    rng = random.Random(seed)
    people, rows = [], []
    for number in range(300):
        anchor_days = rng.randint(0, 400)
        withdrawal = {}
        if rng.random() < 0.2:
            withdrawal = {
                "status": "withdrawn",
                "withdrawn_on": ago(rng.randint(0, anchor_days)),
                "withdrawal_reason": rng.choice(list(c.WITHDREW)),
                "withdrawal_choice": rng.choice(["keep-collected", "remove-data"]),
            }
        people.append(
            person(number, rng.choice(["s1", "s2", "s3"]), rng.choice(c.ARMS), anchor_days, **withdrawal)
        )
        for point in TIMEPOINTS:
            for instrument in point.instruments:
                if rng.random() < 0.6:
                    rows.append(
                        AssessmentRow(number, point.code, instrument, rng.random() < 0.8, rng.random() < 0.9)
                    )
    found = c.completeness(participants=people, timepoints=TIMEPOINTS, assessments=rows, today=TODAY)
    for point in TIMEPOINTS:
        for site in (*found.sites, None):
            for arm in (*found.arms, None):
                cell = found.counts(point.code, site=site, arm=arm)
                assert cell.in_window + cell.outside_window == cell.assessed
                assert cell.complete + cell.not_yet_due + cell.window_open + cell.missed == cell.in_data
                assert all(0 <= value <= cell.missed for value in cell.missing.values())
        for arm in found.arms:
            parts = [found.counts(point.code, site=site, arm=arm) for site in found.sites]
            whole = found.counts(point.code, arm=arm)
            for name in c.COUNT_FIELDS:
                assert sum(getattr(part, name) for part in parts) == getattr(whole, name)
    assert found.recruited().recruited == 300
    flow = c.flow(
        participants=people,
        timepoints=TIMEPOINTS,
        assessments=rows,
        teams={},
        not_enrolled={"Declined": 5},
        primary_instrument="a",
        today=TODAY,
    )
    assert flow.assessed == 305 and sum(arm.allocated for arm in flow.arms) == 300
    for arm in flow.arms:
        assert arm.allocated == arm.followed_up + sum(arm.lost.values())
        assert arm.analysed == arm.followed_up - sum(arm.excluded.values())


# --- the drawing --------------------------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"
FLOW = FlowCounts(
    assessed=173,
    not_enrolled={
        "Did not meet the eligibility criteria": 11,
        "Declined to take part": 17,
        "Other reason": 1,
    },
    enrolled=144,
    arms=(
        ArmFlow(
            "intervention",
            5,
            71,
            58,
            {"Withdrew by choice": 6, c.MISSED_FOLLOW_UP: 7},
            55,
            {c.REMOVED: 2, c.NOT_SCORED: 1},
        ),
        ArmFlow("control", 4, 73, 64, {"Died": 3, c.MISSED_FOLLOW_UP: 6}, 64, {}),
    ),
    follow_up_label="6 months",
)


def test_the_drawing_parses_and_says_every_number():
    svg = flow_svg(FLOW, title="Flow of participants, CPIS")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Flow of participants, CPIS"
    desc = root.find(f"{SVG}desc").text
    shown = " ".join(" ".join(text.itertext()) for text in root.iter(f"{SVG}text"))
    numbers = [
        ("Assessed for eligibility", 173),
        ("Not enrolled", 29),
        ("Did not meet the eligibility criteria", 11),
        ("Declined to take part", 17),
        ("Other reason", 1),
        ("Enrolled", 144),
        ("Followed up at 6 months", 58),
        ("Followed up at 6 months", 64),
        ("Not followed up", 13),
        ("Not followed up", 9),
        ("Withdrew by choice", 6),
        ("Died", 3),
        ("Analysed", 55),
        ("Analysed", 64),
        ("Excluded from analysis", 3),
        ("Excluded from analysis", 0),
        (c.REMOVED, 2),
        (c.NOT_SCORED, 1),
    ]
    flat = re.sub(r"\s+", " ", shown)
    for words, count in numbers:
        assert f"(n={count})" in flat, (words, count)
        assert str(count) in desc
    assert flat.count(f"(n={7})") == 1 and flat.count("(n=6)") == 2  # missed follow-up 7 and 6; withdrew 6
    assert "5 teams, 71 participants" in flat and "4 teams, 73 participants" in flat
    assert "Allocated to intervention" in flat and "Allocated to control" in flat
    # every line of a reason that wraps is in the drawing, whole words only
    assert "Primary outcome could not be scored" in flat


def test_the_description_has_every_number_in_words():
    text = flow_description(FLOW)
    assert text.startswith(
        "173 assessed for eligibility. 29 not enrolled (did not meet the eligibility criteria: 11;"
    )
    assert (
        "Intervention arm: 5 teams and 71 participants allocated; 58 followed up at 6 months; 13 not followed up"
        in text
    )
    assert (
        "Control arm: 4 teams and 73 participants allocated; 64 followed up at 6 months; 9 not followed up (died: 3;"
        in text
    )
    assert "64 analysed; 0 excluded from analysis." in text


def test_the_drawing_is_black_on_white_self_contained_and_stable():
    svg = flow_svg(FLOW)
    assert svg == flow_svg(FLOW)
    colours = set(re.findall(r'(?:fill|stroke)="([^"]+)"', svg))
    assert colours == {"#000000", "#ffffff"}
    for outside in ("href", "url(", "<image", "<style", "@import", "<script", "<foreignObject", " id="):
        assert outside not in svg
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title").text == "Flow of participants"
    # text stays text (searchable, printable), nothing drawn as paths
    assert root.find(f".//{SVG}path") is None
    # one box per stage: assessed, not enrolled, enrolled, then allocation, follow-up and analysis per arm
    assert len(list(root.iter(f"{SVG}text"))) == 3 + 2 * 3
    assert len(list(root.iter(f"{SVG}rect"))) == 1 + 3 + 2 * 3  # the white background and the boxes


def test_words_are_escaped_in_the_drawing():
    odd = FlowCounts(
        assessed=2,
        not_enrolled={"Lived <far> & away": 1},
        enrolled=1,
        arms=(ArmFlow("intervention", 1, 1, 1, {}, 1, {}),),
        follow_up_label="6 months",
    )
    root = ET.fromstring(flow_svg(odd, title="A & B"))
    assert root.find(f"{SVG}title").text == "A & B"
    assert "Lived <far> & away" in " ".join(" ".join(t.itertext()) for t in root.iter(f"{SVG}text"))


def test_the_pure_modules_import_nothing_from_django():
    code = (
        "import sys; import connecting_people.study.completeness, connecting_people.study.completeness.flow; "
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
