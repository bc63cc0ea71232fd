"""Browser journeys: the live server, Debian's Chromium driven by Playwright, and the checks every page passes.

Every page a journey reaches is checked with axe (WCAG 2.2 AA) and must not have made the browser report a
Content-Security-Policy violation (which is how an inline script or style shows up) or a script error.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Browser, Playwright, expect, sync_playwright

from e2e.journey import Tab

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]

DEMO_PASSWORD = "journey-password-2026"


@dataclass(frozen=True)
class Demo:
    password: str


@pytest.fixture
def demo(transactional_db) -> Demo:
    """The demo organisation (`connecting-people demo`) in the test database."""
    from connecting_people.synthetic.demo import load_demo

    load_demo(password=DEMO_PASSWORD, log=lambda *args: None)
    return Demo(password=DEMO_PASSWORD)


# --- the browser ----------------------------------------------------------------------------------------


class _Chromium:
    """One headless Chromium per test process (so one per xdist worker), started by the first journey and
    stopped when the last journey in a row finishes. Playwright never downloads a browser here: it drives
    Debian's.

    While Playwright runs, its sync API keeps an asyncio loop on this thread. Django's async-safety check takes
    that for async code, so the check is off for exactly that time (the journeys only use the database between
    browser steps, never in a coroutine). The loop also makes asgiref keep this thread's database connections
    in separate, async-only storage, so those connections are closed before the loop stops: otherwise nothing
    could reach them afterwards and PostgreSQL would refuse to drop the test database. Tests that run after the
    journeys in the same process see neither the loop, the flag nor the connections."""

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._environment = pytest.MonkeyPatch()
        self.another_journey_next = False

    def browser(self) -> Browser:
        if self._browser is None:
            if not Path(CHROMIUM).exists():
                pytest.fail(
                    f"No Chromium at {CHROMIUM}: run `make browser` or set CHROMIUM_PATH", pytrace=False
                )
            self._environment.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        return self._browser

    def stop(self) -> None:
        if self._playwright is None:
            return
        connections.close_all()
        if self._browser is not None:
            self._browser.close()
        self._playwright.stop()
        self._browser = self._playwright = None
        self._environment.undo()


_chromium = _Chromium()


@pytest.fixture
def browser() -> Browser:
    return _chromium.browser()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Note, before a journey's fixtures are torn down, whether the browser is wanted again straight away."""
    _chromium.another_journey_next = nextitem is not None and nextitem.get_closest_marker("e2e") is not None
    return (yield)


def pytest_sessionfinish(session, exitstatus):
    _chromium.stop()  # when a run stops early (-x, Ctrl-C), before the test databases are dropped


@pytest.fixture
def tab(browser: Browser, live_server) -> Iterator[Tab]:
    """A fresh browser context (no cookies) on the live server."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    expect.set_options(timeout=10_000)
    tab = Tab(page=context.new_page())
    tab.listen()
    yield tab
    context.close()
    if not _chromium.another_journey_next:
        _chromium.stop()  # before the database teardown, which then runs with no event loop on the thread
