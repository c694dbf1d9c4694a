"""Helpers for the browser tests: a live server, Debian's Chromium through Playwright, and axe-core.

Nothing here skips: a missing Chromium or axe-core fails the test with a message saying how to get it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# WCAG 2.0, 2.1 and 2.2 at levels A and AA (axe-core 4.11 tags no rule "wcag22a", so that tag would add nothing).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def require_chromium() -> str:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Debian's Chromium is not at {CHROMIUM}: install it with `apt-get install chromium` "
            "(the browser tests never download Playwright's own browsers).",
            pytrace=False,
        )
    return str(CHROMIUM)


def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"axe-core is not at {AXE}: run `make assets` (npm ci) first.", pytrace=False)
    return AXE.read_text(encoding="utf-8")


class Chromium:
    """Debian's Chromium under Playwright, started on first use: a missing browser or axe-core fails the test
    that needed it (in its body, not in a fixture's set-up)."""

    def __init__(self) -> None:
        self._playwright = None
        self._browser: Browser | None = None

    def browser(self) -> Browser:
        if self._browser is None:
            executable = require_chromium()
            axe_source()  # fail now, with the reason, rather than half-way through a test
            self._playwright = sync_playwright().start()
            try:
                self._browser = self._playwright.chromium.launch(
                    executable_path=executable, headless=True, args=CHROMIUM_ARGS
                )
            except Exception as exc:
                self.close()
                pytest.fail(f"Chromium at {executable} did not start under Playwright: {exc}", pytrace=False)
        return self._browser

    def new_page(self, base_url: str) -> Page:
        """A page in a fresh context (no cookies), CSP left on so violations show on the console.

        The page's console errors and uncaught exceptions are kept in `page.watcher`."""
        context = self.browser().new_context(base_url=base_url, viewport={"width": 1024, "height": 768})
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.watcher = PageWatcher()
        page.watcher.attach(page)
        return page

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None


_shared: Chromium | None = None


def shared_chromium() -> Chromium:
    """The one Chromium of the test run: Playwright's sync API runs one instance per thread, so every module's
    browser tests (tests/test_browser.py, tests/test_browser_small.py) share it; closing it twice is harmless."""
    global _shared
    if _shared is None:
        _shared = Chromium()
    return _shared


# --- live server --------------------------------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    """Leave out the line per request; errors are still logged."""

    def log_request(self, code="-", size="-") -> None:
        pass


class LiveServer:
    """The app served by werkzeug on 127.0.0.1 (a free port the OS picks), in a background thread."""

    def __init__(self, app) -> None:
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def __call__(self, path: str) -> str:
        return self.url + path


# --- what the page said on the console ------------------------------------------------------------------------------


@dataclass
class PageWatcher:
    """Console errors and uncaught exceptions of one page, for assertions after each step."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))

    def csp_errors(self) -> list[str]:
        return [m for m in self.console_errors if "Content Security Policy" in m]

    def clear(self) -> None:
        self.console_errors.clear()
        self.page_errors.clear()


# --- axe ------------------------------------------------------------------------------------------------------------

_RUN_AXE = """
async (tags) => {
  const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  const nodes = (rule) => rule.nodes.map(n => ({target: n.target, html: n.html, summary: n.failureSummary}));
  return {
    version: axe.version,
    passes: results.passes.map(r => r.id),
    incomplete: results.incomplete.map(r => ({id: r.id, help: r.help, helpUrl: r.helpUrl, nodes: nodes(r)})),
    violations: results.violations.map(r => ({id: r.id, impact: r.impact, help: r.help, helpUrl: r.helpUrl,
                                              nodes: nodes(r)})),
  };
}
"""


@dataclass
class AxeResults:
    version: str
    passes: list[str]
    incomplete: list[dict]
    violations: list[dict]


def run_axe(page) -> AxeResults:
    """Inject axe-core (through the DevTools protocol, which the page's CSP does not govern) and run it."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    return AxeResults(**page.evaluate(_RUN_AXE, AXE_TAGS))


def describe_violations(page_name: str, rules: list[dict], *, what: str = "WCAG 2.2 AA violation(s)") -> str:
    """axe's findings, one rule a paragraph: its id, impact and help, then each element (target, HTML, why)."""
    lines = [f"axe-core found {len(rules)} {what} on {page_name}:"]
    for rule in rules:
        impact = rule.get("impact") or "undecided"
        lines.append(f"- {rule['id']} ({impact}): {rule['help']} <{rule.get('helpUrl', '')}>")
        for node in rule["nodes"]:
            lines.append(f"    at {json.dumps(node['target'])}: {node['html'][:200]}")
            if node.get("summary"):
                lines.extend(f"      {line}" for line in node["summary"].splitlines())
    return "\n".join(lines)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
