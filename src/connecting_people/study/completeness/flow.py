"""The flow of participants through the study (CONSORT-style, for a cluster trial), and its drawing. Pure: no
Django.

`FlowCounts` holds the numbers; `flow_svg` draws them as boxes and arrows: assessed for eligibility → not
enrolled (with reasons) → enrolled → allocated, by arm (teams and participants) → follow-up (not followed up,
with reasons) → analysed (excluded from analysis, with reasons). The numbers are worked out from the study's
rows by `completeness.flow` (see there for what each one counts); the arithmetic that holds for every arm:

* ``allocated = followed_up + sum(lost.values())``
* ``analysed = followed_up - sum(excluded.values())``

and for the study: ``assessed = enrolled + sum(not_enrolled.values())``, ``enrolled = sum(arm.allocated)``.

The drawing is black on white (it prints as it shows), uses no colour, no fonts or images from elsewhere and no
ids (so two drawings can share a page), and keeps its words as text. It carries role="img", a <title> and a
<desc> that says every number in words; pages show the same numbers as a table beside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class ArmFlow:
    """One arm's part of the flow. `lost` and `excluded` map a reason, in words, to a number of participants;
    reasons with none are left out."""

    arm: str  # "intervention" | "control"
    teams: int  # teams allocated to the arm
    allocated: int  # participants enrolled at the arm's teams
    followed_up: int  # with the primary outcome recorded at the follow-up timepoint
    lost: dict[str, int]  # reason -> allocated but not followed up
    analysed: int  # followed up, and in the primary analysis
    excluded: dict[
        str, int
    ]  # reason -> followed up but not analysed (e.g. asked for their data to be removed)

    @property
    def label(self) -> str:
        return ARM_LABELS.get(self.arm, self.arm)


@dataclass(frozen=True)
class FlowCounts:
    assessed: int  # assessed for eligibility = enrolled + screened and not enrolled
    not_enrolled: dict[str, int]  # reason -> people screened and not enrolled (from the screening log)
    enrolled: int
    arms: tuple[ArmFlow, ...]  # intervention first
    follow_up_label: str  # the follow-up timepoint's label, e.g. "6 months"


ARM_LABELS = {"intervention": "Intervention", "control": "Control"}

# Drawing sizes, in px of the viewBox. Text is measured by an average character width (Arial's is about half
# the font size; a little more leaves room for the usual sans-serif fallbacks), so a line never runs past its
# box.
WIDTH = 820
MARGIN = 20
FONT_SIZE = 15
LINE_HEIGHT = 20
CHAR_WIDTH = 0.53 * FONT_SIZE
PADDING = 10
GAP = 28  # between a box and the next one down
SPINE_X = 300  # the line down the middle of the enrolment part
TOP_BOX = (150, 300)  # x, width of the assessed and enrolled boxes
SIDE_BOX = (490, WIDTH - MARGIN - 490)  # x, width of the not-enrolled box
COLUMN_WIDTH = (WIDTH - 2 * MARGIN - 40) // 2
COLUMNS = (MARGIN, WIDTH - MARGIN - COLUMN_WIDTH)  # x of the intervention and control columns
FONT = "Arial, Helvetica, sans-serif"
ARROW = 9  # length of an arrowhead


def count_text(value: int) -> str:
    """A count as shown in the flow: thousands separated by commas."""
    return f"{value:,}"


def _plural(value: int, one: str, many: str) -> str:
    return f"{count_text(value)} {one if value == 1 else many}"


def _wrap(text: str, width: float) -> list[str]:
    """Breaks `text` at spaces into lines that fit `width` px (a word longer than a line gets a line of its own)."""
    most = max(8, int(width / CHAR_WIDTH))
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if len(candidate) <= most or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    lines.append(line)
    return lines


# A box's lines before wrapping: (text, bold, reason). Reasons are listed under a heading line, indented, each
# with a bullet.
Line = tuple[str, bool, bool]


@dataclass(frozen=True)
class _Row:
    """One line of text in a box, after wrapping."""

    text: str
    bold: bool = False
    indented: bool = False
    bullet: bool = False


INDENT = 16


def _heading(text: str) -> Line:
    return (text, True, False)


def _plain(text: str) -> Line:
    return (text, False, False)


def _reasons(reasons: Mapping[str, int]) -> list[Line]:
    return [(f"{reason} (n={count_text(count)})", False, True) for reason, count in reasons.items()]


def _layout(lines: list[Line], width: int) -> list[_Row]:
    """The box's lines wrapped to its width."""
    rows: list[_Row] = []
    for text, bold, reason in lines:
        inner = width - 2 * PADDING - (INDENT if reason else 0)
        for index, part in enumerate(_wrap(text, inner)):
            rows.append(_Row(part, bold=bold, indented=reason, bullet=reason and index == 0))
    return rows


def _height(rows: list[_Row]) -> int:
    return 2 * PADDING + LINE_HEIGHT * len(rows)


def _box(x: int, y: int, width: int, height: int, rows: list[_Row]) -> list[str]:
    spans = []
    for index, row in enumerate(rows):
        line_x = x + PADDING + (INDENT if row.indented else 0)
        line_y = y + PADDING + LINE_HEIGHT * index + FONT_SIZE
        if row.bullet:
            spans.append(f'<tspan x="{line_x - 12}" y="{line_y}">\u2022</tspan>')
        weight = ' font-weight="bold"' if row.bold else ""
        spans.append(f'<tspan x="{line_x}" y="{line_y}"{weight}>{escape(row.text)}</tspan>')
    return [
        f'<rect x="{x}" y="{y}" width="{width}" height="{height}" fill="#ffffff" stroke="#000000" '
        'stroke-width="1.5"/>',
        f"<text>{''.join(spans)}</text>",
    ]


def _line(x1: float, y1: float, x2: float, y2: float) -> str:
    return f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#000000" stroke-width="1.5"/>'


def _arrow_down(x: float, y1: float, y2: float) -> list[str]:
    return [
        _line(x, y1, x, y2 - ARROW),
        f'<polygon points="{x - 5},{y2 - ARROW} {x + 5},{y2 - ARROW} {x},{y2}" fill="#000000"/>',
    ]


def _arrow_right(x1: float, x2: float, y: float) -> list[str]:
    return [
        _line(x1, y, x2 - ARROW, y),
        f'<polygon points="{x2 - ARROW},{y - 5} {x2 - ARROW},{y + 5} {x2},{y}" fill="#000000"/>',
    ]


def _arm_boxes(arm: ArmFlow, follow_up_label: str) -> tuple[list[Line], list[Line], list[Line]]:
    """The lines of an arm's three boxes: allocation, follow-up, analysis."""
    allocation = [
        _heading(f"Allocated to {arm.label.lower()}"),
        _plain(
            f"{_plural(arm.teams, 'team', 'teams')}, {_plural(arm.allocated, 'participant', 'participants')}"
        ),
    ]
    follow_up = [
        _heading(f"Followed up at {follow_up_label} (n={count_text(arm.followed_up)})"),
        _plain(f"Not followed up (n={count_text(sum(arm.lost.values()))})"),
        *_reasons(arm.lost),
    ]
    analysis = [
        _heading(f"Analysed (n={count_text(arm.analysed)})"),
        _plain(f"Excluded from analysis (n={count_text(sum(arm.excluded.values()))})"),
        *_reasons(arm.excluded),
    ]
    return allocation, follow_up, analysis


def flow_description(counts: FlowCounts) -> str:
    """Every number of the flow in words (the drawing's <desc>, and a summary a page can show)."""

    def reasons(found: Mapping[str, int]) -> str:
        return "; ".join(
            f"{reason[:1].lower()}{reason[1:]}: {count_text(count)}" for reason, count in found.items()
        )

    sentences = [f"{count_text(counts.assessed)} assessed for eligibility."]
    not_enrolled = sum(counts.not_enrolled.values())
    sentence = f"{count_text(not_enrolled)} not enrolled"
    if counts.not_enrolled:
        sentence += f" ({reasons(counts.not_enrolled)})"
    sentences.append(sentence + ".")
    sentences.append(f"{count_text(counts.enrolled)} enrolled.")
    for arm in counts.arms:
        sentence = (
            f"{arm.label} arm: {_plural(arm.teams, 'team', 'teams')} and "
            f"{_plural(arm.allocated, 'participant', 'participants')} allocated; "
            f"{count_text(arm.followed_up)} followed up at {counts.follow_up_label}; "
            f"{count_text(sum(arm.lost.values()))} not followed up"
        )
        if arm.lost:
            sentence += f" ({reasons(arm.lost)})"
        sentence += f"; {count_text(arm.analysed)} analysed; {count_text(sum(arm.excluded.values()))} excluded from analysis"
        if arm.excluded:
            sentence += f" ({reasons(arm.excluded)})"
        sentences.append(sentence + ".")
    return " ".join(sentences)


def flow_svg(counts: FlowCounts, *, title: str = "Flow of participants") -> str:
    """The flow diagram as a standalone <svg> element (text). Same counts, same text, byte for byte."""
    parts: list[str] = []
    top_x, top_width = TOP_BOX
    side_x, side_width = SIDE_BOX

    y = MARGIN
    assessed = _layout([_heading(f"Assessed for eligibility (n={count_text(counts.assessed)})")], top_width)
    parts += _box(top_x, y, top_width, _height(assessed), assessed)
    y += _height(assessed)

    not_enrolled = _layout(
        [
            _heading(f"Not enrolled (n={count_text(sum(counts.not_enrolled.values()))})"),
            *_reasons(counts.not_enrolled),
        ],
        side_width,
    )
    side_y = y + GAP
    parts += _box(side_x, side_y, side_width, _height(not_enrolled), not_enrolled)
    side_middle = side_y + LINE_HEIGHT // 2 + PADDING
    parts += _arrow_right(SPINE_X, side_x, side_middle)

    enrolled_y = max(side_y + _height(not_enrolled) + GAP, side_middle + 2 * GAP)
    parts += _arrow_down(SPINE_X, y, enrolled_y)
    enrolled = _layout([_heading(f"Enrolled (n={count_text(counts.enrolled)})")], top_width)
    parts += _box(top_x, enrolled_y, top_width, _height(enrolled), enrolled)
    y = enrolled_y + _height(enrolled)

    split_y = y + GAP // 2
    centres = [x + COLUMN_WIDTH / 2 for x in COLUMNS]
    arms = counts.arms[: len(COLUMNS)]
    if arms:
        reach = [SPINE_X, *centres[: len(arms)]]
        parts.append(_line(SPINE_X, y, SPINE_X, split_y))
        parts.append(_line(min(reach), split_y, max(reach), split_y))
    y = split_y + GAP
    boxes = [
        [_layout(lines, COLUMN_WIDTH) for lines in _arm_boxes(arm, counts.follow_up_label)] for arm in arms
    ]
    for stage in range(3):
        height = max((_height(arm_boxes[stage]) for arm_boxes in boxes), default=0)
        for column, arm_boxes in enumerate(boxes):
            x, centre = COLUMNS[column], centres[column]
            start = split_y if stage == 0 else y - GAP
            parts += _arrow_down(centre, start, y)
            parts += _box(x, y, COLUMN_WIDTH, height, arm_boxes[stage])
        y += height + GAP
    height = y - GAP + MARGIN

    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" font-family="{FONT}" font-size="{FONT_SIZE}" fill="#000000">'
        f"<title>{escape(title)}</title>"
        f"<desc>{escape(flow_description(counts))}</desc>"
        f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>' + "".join(parts) + "</svg>"
    )
