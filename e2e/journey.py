"""What every journey does with the browser: a tab that notes what the browser complains about, the axe
check each page passes, and the steps several journeys share."""

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Locator, Page, Response, expect

ROOT = Path(__file__).resolve().parent.parent
AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Set to a directory to keep a full-page screenshot of every page the journeys check (off by default).
SCREENSHOT_DIR = os.environ.get("E2E_SCREENSHOT_DIR")


# What a person does, as the burden benchmark counts it (docs/performance.md): each is one interaction.
INTERACTIONS = {
    "click": "a click or tap on a link, button, checkbox, radio, map entry or other control",
    "type": "a field typed in (moving into it and typing its value together)",
    "choose": "an option chosen from a select",
    "key": "a key pressed to move on or submit: Enter, Tab, an arrow key moving a map entry, Delete",
    "drag": "a drag from one place to another",
}


@dataclass
class Tab:
    """A page in a fresh browser context, with what the browser complained about so far, and the interactions
    a journey made through it, counted as a person would count them (`INTERACTIONS`), per `stage`."""

    page: Page
    problems: list[str] = field(default_factory=list)
    stage: str = ""  # what the counts that follow belong to, e.g. "b. connections map"
    interactions: Counter = field(default_factory=Counter)  # (stage, kind) -> how many

    def count(self, kind: str, times: int = 1) -> None:
        """Note `times` interactions of `kind` (a key of INTERACTIONS) in the current stage."""
        if kind not in INTERACTIONS:
            raise ValueError(f"unknown kind of interaction {kind!r}: one of {sorted(INTERACTIONS)}")
        self.interactions[(self.stage, kind)] += times

    def counted(self, stage: str | None = None, kind: str | None = None) -> int:
        """Interactions so far: of one stage and/or kind, or all."""
        return sum(
            times
            for (its_stage, its_kind), times in self.interactions.items()
            if (stage is None or its_stage == stage) and (kind is None or its_kind == kind)
        )

    def tally(self) -> dict[str, dict[str, int]]:
        """{stage: {kind: count}}, for a report."""
        table: dict[str, dict[str, int]] = {}
        for (stage, kind), times in sorted(self.interactions.items()):
            table.setdefault(stage, {})[kind] = times
        return table

    # Doing and counting at once. Each does what a person does, then counts it.

    def click(self, target: Locator) -> None:
        target.click()
        self.count("click")

    def type_in(self, target: Locator, text: str) -> None:
        """Into the field `target` (clicking into it is part of typing in it), replacing what it holds."""
        target.fill(text)
        self.count("type")

    def type(self, text: str) -> None:
        """Into the field that has the focus already."""
        self.page.keyboard.type(text)
        self.count("type")

    def choose(self, target: Locator, value: str) -> None:
        target.select_option(value)
        self.count("choose")

    def press(self, key: str, times: int = 1) -> None:
        for _ in range(times):
            self.page.keyboard.press(key)
        self.count("key", times)

    def drag(self, source: Locator, target: Locator, **options) -> None:
        source.drag_to(target, **options)
        self.count("drag")

    def goto(self, path: str) -> Response | None:
        return self.page.goto(path)

    def check(self, name: str) -> None:
        """The page the journey is on passes axe's WCAG 2.2 AA rules, and nothing so far broke the
        Content-Security-Policy or threw a script error."""
        if SCREENSHOT_DIR:
            Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(SCREENSHOT_DIR) / f"{name}.png"), full_page=True)
        problems = "\n".join(self.problems)
        assert not problems, f"The browser reported problems up to the page '{name}':\n{problems}"
        violations = axe_violations(self.page)
        assert not violations, (
            f"axe found WCAG 2.2 AA violations on '{name}' ({self.page.url}):\n{violations}"
        )

    def listen(self) -> None:
        """Note CSP violations (reported on the console) and uncaught script errors."""

        def on_console(message) -> None:
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
                self.problems.append(f"CSP violation: {message.text}")

        self.page.on("console", on_console)
        self.page.on("pageerror", lambda error: self.problems.append(f"Script error: {error}"))


def axe_violations(page: Page) -> str:
    """Runs axe in the page and returns its violations, one readable block each ('' when there are none).

    The page's CSP refuses script tags without its nonce, so axe goes in through the DevTools protocol
    (page.evaluate), which the CSP does not govern; the application's policy stays as it is."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8") + "\n;undefined")
    violations = page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html, summary: n.failureSummary})),
            }));
        }""",
        WCAG_22_AA,
    )
    blocks = []
    for violation in violations:
        lines = [f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>"]
        for node in violation["nodes"]:
            lines.append(f"    at {node['target']}: {_one_line(node['html'])}")
            lines.append(f"      {_one_line(node['summary'])}")
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def _one_line(text: str | None, limit: int = 240) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- steps shared by the journeys -----------------------------------------------------------------------


def sign_in(tab: Tab, *, username: str, password: str) -> None:
    tab.goto("/accounts/sign-in/")
    tab.page.get_by_label("Username").fill(username)
    tab.page.get_by_label("Password").fill(password)
    tab.page.get_by_role("button", name="Sign in").click()


def error_summary_items(page: Page) -> list[str]:
    """The messages listed in the error summary, which the NHS.UK scripts focus when the page loads."""
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary).to_be_focused()
    return [text.strip() for text in summary.locator(".nhsuk-error-summary__list a").all_inner_texts()]


# --- widths, and keyboard-first steps, each counted ---------------------------------------------------------

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}


WIDER_THAN_THE_SCREEN = """() => {
    const screen = document.documentElement.clientWidth + 1;
    // Inside a box that clips or scrolls and itself fits (visually hidden text, a table scrolled in its box,
    // which reflow allows), an element cannot push the page sideways.
    const contained = (element) => {
        for (let box = element.parentElement; box && box !== document.body; box = box.parentElement) {
            const style = getComputedStyle(box);
            if (style.overflowX !== "visible" && box.getBoundingClientRect().right <= screen) return true;
        }
        return false;
    };
    return [...document.querySelectorAll("main *")]
        .filter((element) => element.getBoundingClientRect().right > screen && !contained(element))
        .map((element) => element.tagName.toLowerCase() + (element.className ? "." + element.className : "")
            + ` (${Math.round(element.getBoundingClientRect().right)} px)`);
}"""


def check_both_widths(tab: Tab, name: str) -> None:
    """axe at 1280 px, then at 390 px, where nothing in the page's main content may be wider than the screen
    (WCAG 2.2 reflow). The header and footer, shared by every page, are the layout's to check."""
    tab.check(name)
    tab.page.set_viewport_size(PHONE)
    wide = tab.page.evaluate(WIDER_THAN_THE_SCREEN)
    assert not wide, f"'{name}' is wider than a 390 px screen: {wide[:5]}"
    tab.check(f"{name}-390")
    tab.page.set_viewport_size(LAPTOP)


def follow(tab: Tab, target: Locator) -> None:
    """A link or button, reached from the keyboard and pressed with Enter: one interaction, like a click."""
    target.focus()
    tab.page.keyboard.press("Enter")
    tab.count("click")


def type_in(tab: Tab, field: Locator, text: str) -> None:
    """A field typed in: one interaction (moving to it is part of typing in it)."""
    field.focus()
    tab.page.keyboard.press("Control+A")
    tab.page.keyboard.type(text)
    tab.count("type")


def tick(tab: Tab, box: Locator) -> None:
    """A checkbox or radio, chosen with the space bar: one interaction."""
    box.focus()
    tab.page.keyboard.press("Space")
    tab.count("click")


def enter(tab: Tab) -> None:
    """Enter, to submit the form the focus is in: one interaction."""
    tab.page.keyboard.press("Enter")
    tab.count("key")


