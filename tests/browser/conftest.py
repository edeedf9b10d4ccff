"""Debian's chromium driven by Playwright (its Python API; `executable_path`, never a downloaded browser), and the
checks every portal page gets: axe-core's serious and critical violations, sideways scrolling on a phone."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# Chromium's own background traffic is refused on these machines' closed network: none is started.
QUIET = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-default-apps"]  # fmt: skip

# Playwright's sync API runs an event loop in the test's thread; the tests still use the ORM between its calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


class Browser:
    def __init__(self, playwright: Any) -> None:
        self.engine = playwright.chromium.launch(executable_path=CHROMIUM, args=QUIET)
        self.contexts: list[Any] = []

    def page(self, viewport: str) -> Any:
        size = PHONE if viewport == "phone" else DESKTOP
        context = self.engine.new_context(viewport=size, is_mobile=viewport == "phone", accept_downloads=True)
        self.contexts.append(context)
        return context.new_page()

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.engine.close()


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/bootstrap test installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        opened = Browser(playwright)
        try:
            yield opened
        finally:
            opened.close()


def log_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")


def axe_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations of the page as loaded: one line each, with where."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {[node['target'] for node in v['nodes']][:3]}"
        for v in found
        if v["impact"] in {"serious", "critical"}
    ]


def scrolls_sideways(page: Any) -> bool:
    """Wider than the phone's 390 px: the page's own width (a page without a viewport meta lays out at 980 px, and
    that counts as scrolling too)."""
    width = page.evaluate("Math.max(document.documentElement.scrollWidth, window.innerWidth)")
    return int(width) > PHONE["width"]


def duplicate_ids(page: Any) -> list[str]:
    """Ids used twice on the page (a label then names the wrong field)."""
    return list(
        page.evaluate(
            "() => { const seen = {}; for (const e of document.querySelectorAll('[id]'))"
            " seen[e.id] = (seen[e.id] || 0) + 1; return Object.keys(seen).filter(id => seen[id] > 1); }"
        )
    )
