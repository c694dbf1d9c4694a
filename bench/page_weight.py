"""page_weight_kib: what a browser downloads for a cold load of the signed-in school home, and a warm one.

The app runs under gunicorn (as in bench/signed_in_page.py); the headteacher signs in over HTTP (bench/browser.py)
and Debian's Chromium (/usr/bin/chromium, under Playwright) gets the session cookie in a fresh context, so an empty
cache, then opens GET /school/ and waits for the page's load event. The DevTools protocol's Network events count
each request and the bytes it took on the wire (encodedDataLength: headers and the body as sent, compressed or not),
by type. Then the same page is opened again in the same context (a warm load, as when a person clicks from page to
page): with the CSS and JavaScript cached under their hashed names, only the HTML should go over the wire.

The target: the GOV.UK home page weighed about 246 KB before jQuery (32 KB of it) was taken out in 2022 ("How and
why we removed jQuery from GOV.UK", Inside GOV.UK blog, August 2022: the figure as reported in summaries of that
post), and that weight includes two GDS Transport WOFF2 fonts of about 32 KB each (alphagov/govuk_template pull
request 357, font v2). AP Portal uses the GOV.UK Frontend CSS and JavaScript too, but no web font (a system font
stack), no images, no analytics or cookie banner; so its page should be well under GOV.UK's own, and we hold it to
half of that home page: 120 KiB for HTML, CSS, JavaScript and fonts together on a cold load.

The CSS and JavaScript go over the wire compressed, as the browser asks (Chromium accepts Brotli, so it gets the
.br copies the build writes); the HTML as the app sends it, uncompressed (a proxy in front may compress it too).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

from bench.browser import sign_in
from bench.errors import BenchError
from bench.metrics import Metric
from bench.server import HOST
from bench.targets import at_most
from bench.workspace import Workspace
from shared.config import DEFAULT_DEMO_PASSWORD, DEFAULT_DEMO_TOTP_SECRET

HOME = "/school/"
MARKER = "Needs your attention"
DEMO_EMAIL = "headteacher@demo-academy.example"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Half of the GOV.UK home page's 246 KB (see the module's docstring), in KiB.
TARGET_KIB = 120
WEIGHED = ("html", "css", "js", "font")  # what page_weight_kib counts; images are reported beside it
KINDS = {"Document": "html", "Stylesheet": "css", "Script": "js", "Font": "font", "Image": "image"}


@dataclass
class Load:
    """The requests of one page load that went over the network, by kind; bytes as transferred."""

    requests: Counter[str] = field(default_factory=Counter)
    bytes: Counter[str] = field(default_factory=Counter)
    from_cache: int = 0

    def kib(self, kinds: tuple[str, ...] = WEIGHED) -> float:
        return sum(self.bytes[kind] for kind in kinds) / 1024

    def describe(self) -> str:
        kinds = sorted(self.requests)
        shown = ", ".join(f"{kind} {self.requests[kind]} ({self.bytes[kind] / 1024:.1f} KiB)" for kind in kinds)
        return f"{sum(self.requests.values())} requests: {shown}; {self.from_cache} from the browser's cache"


def run(workspace: Workspace) -> list[Metric]:
    workspace.database()
    server = workspace.serve("page_weight", "wsgi:app", ready_path="/healthz")
    cookie = sign_in(
        server.port,
        email=DEMO_EMAIL,
        password=os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD),
        totp_secret=os.environ.get("DEMO_TOTP_SECRET", DEFAULT_DEMO_TOTP_SECRET),
        home=HOME,
        marker=MARKER,
    )
    cold, warm = measure(f"http://{HOST}:{server.port}", cookie)
    print(f"  cold load: {cold.describe()}", flush=True)
    print(f"  warm load: {warm.describe()}", flush=True)
    return [
        at_most("page_weight_kib", round(cold.kib(), 1), "KiB", TARGET_KIB),
        Metric.informational("page_weight_requests", sum(cold.requests.values()), "requests"),
        Metric.informational("page_weight_css_js_kib", round(cold.kib(("css", "js")), 1), "KiB"),
        at_most("page_warm_load_requests", sum(warm.requests.values()), "requests", 1),
    ]


def measure(base_url: str, cookie_header: str) -> tuple[Load, Load]:
    """A cold load of HOME in a fresh browser context with the signed-in session's cookies, then a warm one."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.is_file():
        raise BenchError(f"Debian's Chromium is not at {CHROMIUM}: apt-get install chromium")
    cookies = SimpleCookie()
    cookies.load(cookie_header)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=base_url)
            context.add_cookies([{"name": k, "value": m.value, "url": base_url} for k, m in cookies.items()])
            page = context.new_page()
            loads = [_load(context, page, HOME) for _ in range(2)]
        finally:
            browser.close()
    return loads[0], loads[1]


def _load(context, page, path: str) -> Load:
    load = Load()
    kinds: dict[str, str] = {}
    cdp = context.new_cdp_session(page)

    def sent(event: dict) -> None:
        kinds[event["requestId"]] = KINDS.get(event.get("type", ""), "other")

    def finished(event: dict) -> None:
        kind = kinds.get(event["requestId"])
        if kind is not None:
            load.requests[kind] += 1
            load.bytes[kind] += int(event["encodedDataLength"])

    def served_from_cache(event: dict) -> None:
        kinds.pop(event["requestId"], None)  # no bytes over the network: not a request of this load
        load.from_cache += 1

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.requestServedFromCache", served_from_cache)
    cdp.send("Network.enable")
    response = page.goto(path, wait_until="load")
    if response is None or response.status != 200 or MARKER not in page.content():
        raise BenchError(f"GET {path} in Chromium did not show the signed-in page ({response and response.status})")
    page.wait_for_load_state("networkidle")
    cdp.detach()
    return load
