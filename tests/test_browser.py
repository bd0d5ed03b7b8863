"""The web app in a real browser (Debian Chromium via Playwright): the reading flow,
uploading an article that joins its story, and hostile article text staying inert.

Screenshots of the main pages go to a temporary folder, or to the folder named by
NEWSLOOM_SCREENSHOTS (`NEWSLOOM_SCREENSHOTS=docs/screenshots pytest -m browser` refreshes the
ones in the docs).
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from newsloom.web.app import create_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from newsloom.pipeline import Resources

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
SHOTS = Path(os.environ.get("NEWSLOOM_SCREENSHOTS", tempfile.gettempdir() + "/newsloom-shots"))

THIRD_REPORT = """ date 2021-08-13 Taliban take Kandahar as government forces withdraw

Taliban fighters took full control of Kandahar on Friday after government troops pulled \
back to the airport overnight, residents and a provincial council member said.

Kandahar, Afghanistan's second-largest city, was the birthplace of the Taliban movement \
in the 1990s. Its fall leaves the government in Kabul holding only a handful of major cities.

"The city is quiet now, the shops are closed and people are staying indoors," said \
Abdul Wahid, a shopkeeper in the old city. He said fighters had set up checkpoints on the \
main roads.

The insurgents also captured Lashkar Gah, the capital of neighbouring Helmand province, \
a security official said. The United States said it would send about 3,000 troops to \
Kabul to help evacuate embassy staff.
"""

OTHER_EVENT = [
    """ date 2023-11-14 Container ship runs aground near Rotterdam

A container ship carrying about 4,000 containers ran aground near the port of Rotterdam \
on Tuesday morning, the Dutch coast guard said. No injuries were reported.

Tugboats were trying to refloat the vessel at high tide, a port authority spokesman said.
""",
    """ date 2023-11-15 Stranded ship refloated off Rotterdam

Tugboats refloated the container ship that ran aground near Rotterdam, the Dutch coast \
guard said on Wednesday. The ship had been stuck for about 20 hours.

"The vessel is afloat and will be inspected before it sails on to Hamburg," said Jan de \
Vries, a spokesman for the port authority.
""",
]

HOSTILE = """ date 2021-08-20 Market reopens in Herat <script>alert('t')</script>

Traders in Herat reopened the central market on Friday <script>document.title='pwned'</script> \
after a week of closures, shop owners said. Click <a href="javascript:alert(1)">here</a> \
or <img src=x onerror="alert(2)"> for prices.
"""


def _chromium_args() -> list[str]:
    return [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
    ]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=_chromium_args())
        yield b
        b.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[str]:
    """A real uvicorn server on a free port over a store filled from the seeds."""
    import uvicorn

    pipeline = pytest.importorskip(
        "newsloom.pipeline", reason="pipeline modules not all in yet", exc_type=ImportError
    )
    from newsloom.store import Store

    resources: Resources = request.getfixturevalue("resources")
    db = tmp_path_factory.mktemp("browser") / "b.db"
    store = Store(db)
    pipeline.run([str(ROOT / "examples" / "seeds")], store, resources)
    store.close()
    app = create_app(str(db), resources=resources)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.dialogs = dialogs  # type: ignore[attr-defined]
    yield pg
    context.close()


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def _upload(page: Page, base: str, tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    page.goto(f"{base}/ingest")
    page.set_input_files("input[name=files]", str(path))
    page.click("form.ingest button[type=submit]")
    page.wait_for_selector("section.report", timeout=90_000)


def test_reading_flow_and_upload_joins_story(live: str, page: Page, tmp_path: Path) -> None:
    page.goto(live + "/")
    rows = page.locator("li.story-row")
    assert rows.count() >= 1

    page.fill("header input[name=q]", "Kandahar")
    page.press("header input[name=q]", "Enter")
    page.wait_for_url("**/search?q=Kandahar")
    assert page.locator("ul.hits li").count() >= 2
    _shot(page, "search.png")

    page.locator("section.card h2.headline a").first.click()
    page.wait_for_url("**/stories/*")
    story_url = page.url
    assert page.locator("sup.c a").count() >= 1
    assert page.locator("svg.map circle").count() >= 1
    n_before = int(page.locator(".meta b").first.inner_text())
    _shot(page, "story.png")

    cite = page.locator("sup.c a").first
    href = cite.get_attribute("href") or ""
    assert "/articles/" in href and "#s" in href
    cite.click()
    page.wait_for_url("**/articles/*")
    anchor = href.split("#", 1)[1]
    target = page.locator(f"#{anchor}")
    assert target.count() == 1 and target.inner_text().strip()
    _shot(page, "article.png")

    _upload(page, live, tmp_path, "kandahar-third.txt", THIRD_REPORT)
    assert "1</b> new" in page.inner_html("section.report")
    touched = page.locator("ul.touched a")
    assert touched.count() == 1
    assert touched.first.get_attribute("href") == story_url.replace(live, "")
    touched.first.click()
    assert int(page.locator(".meta b").first.inner_text()) == n_before + 1

    # Two reports of another event, uploaded together, make a second story.
    paths = []
    for n, text in enumerate(OTHER_EVENT):
        paths.append(tmp_path / f"ship{n}.txt")
        paths[-1].write_text(text, encoding="utf-8")
    page.goto(f"{live}/ingest")
    page.set_input_files("input[name=files]", [str(p) for p in paths])
    page.click("form.ingest button[type=submit]")
    page.wait_for_selector("section.report", timeout=90_000)
    assert "2</b> new" in page.inner_html("section.report")
    page.goto(live + "/")
    assert page.locator("li.story-row").count() == 2
    _shot(page, "stories.png")
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_hostile_article_renders_inert(live: str, page: Page, tmp_path: Path) -> None:
    _upload(page, live, tmp_path, "herat.txt", HOSTILE)
    report = page.inner_text("section.report")
    assert "1 new" in report.replace("\n", " "), report
    page.goto(live + "/search?q=Herat+market")
    page.locator("ul.hits a[href^='/articles/']").first.click()
    page.wait_for_url("**/articles/*")
    assert "<script>" in page.inner_text("div.text") or "alert" in page.inner_text("div.text")
    assert page.locator("script").count() == 0
    assert page.locator("div.text a, div.text img").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.title() != "pwned"
    time.sleep(0.3)
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_handmade_store_pages_render(browser: Browser, tmp_path: Path) -> None:
    """Without the models: the hostile fixture article from a hand-built store."""
    import sys

    import uvicorn

    sys.path.insert(0, str(Path(__file__).parent))
    import webdata

    ids = webdata.fill(tmp_path / "h.db")
    app = create_app(str(tmp_path / "h.db"))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        context = browser.new_context()
        pg = context.new_page()
        dialogs: list[Any] = []
        pg.on("dialog", lambda d: (dialogs.append(d), d.dismiss()))
        pg.goto(f"http://127.0.0.1:{port}/articles/{ids['evil']}")
        assert pg.locator("script").count() == 0
        assert pg.locator("a[href^='javascript']").count() == 0
        assert "<script>alert('pwned')</script>" in pg.inner_text("div.text")
        pg.goto(f"http://127.0.0.1:{port}/stories/st-flood")
        assert pg.locator("svg.map polygon").count() > 3
        # CSS loads under the CSP (style-src 'self'): the header is dark.
        bg = pg.eval_on_selector("header.top", "e => getComputedStyle(e).backgroundColor")
        assert bg == "rgb(17, 24, 39)"
        assert dialogs == []
        context.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
