"""A 300-character unbroken string in a title, an article and a note: it wraps, the page never widens.

In a real Chromium at desktop and phone width. The browser talks to no server: every
request it makes is answered by Django's test client inside the test's transaction
(static files from the finders), so the seeded world and the rollback work as in
every other test. Without Chromium the test is skipped, unless SEPAKAT_REQUIRE_BROWSER
is set (as .ci/run does) and then it fails.
"""

import io
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from agreements.kinds import draft_pdf, kind_spec
from demo import driver
from workflows.models import Stage

# A real browser at desktop and phone width: run by .ci/run (pytest -m slow), not by make test.
pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
BASE = "http://sepakat.test"
LONG = ("Kesepakatan" * 28)[:300]  # the longest title allowed, with no space to break at
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


def chromium_or_skip() -> str:
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return CHROMIUM
    if os.environ.get("SEPAKAT_REQUIRE_BROWSER"):
        pytest.fail(f"Chromium not found at {CHROMIUM}")
    pytest.skip("needs Chromium (CHROMIUM=..., /usr/bin/chromium by default)")


def serve(html: bytes):
    """A Playwright route handler: the page as Django rendered it, static files from the finders, nothing else."""

    def handle(route):
        parts = urlsplit(route.request.url)
        if parts.netloc != urlsplit(BASE).netloc:
            return route.abort()
        if parts.path.startswith("/static/"):
            found = finders.find(parts.path.removeprefix("/static/"))
            return route.fulfill(status=200, path=found) if found else route.fulfill(status=404, body="")
        if parts.path == "/page":
            return route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
        return route.fulfill(status=404, body="")

    return handle


def overflows(pages: dict[str, bytes]) -> dict[str, dict[str, int]]:
    """How many CSS pixels wider than the screen each page is, at each width (0: it fits).

    The pages are rendered by Django beforehand: Playwright's sync API runs an event loop
    in this thread, and the ORM is kept out of it.
    """
    from playwright.sync_api import sync_playwright

    found = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_or_skip(),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        for name, html in pages.items():
            found[name] = {}
            for screen, (width, height) in WIDTHS.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                page.route("**/*", serve(html))
                page.goto(BASE + "/page")
                page.wait_for_load_state("load")
                found[name][screen] = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                if os.environ.get("SEPAKAT_SHOTS"):
                    page.screenshot(path=f"{os.environ['SEPAKAT_SHOTS']}/{name}-{screen}.png", full_page=True)
                page.close()
        browser.close()
    return found


def rendered(client, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    assert LONG[:40].encode() in response.content
    return response.content


@pytest.fixture
def long_case(programme):
    """Kota Banjar's MoU with a long unbroken title and article, reviewed once with a long note."""
    process = driver.run_programme(programme("kota-banjar"), stop_stage=Stage.MOU, stop_step="draft")[0]
    task = driver.open_tasks(process).get()
    drafter = driver.holder_of(task)
    driver.claim(task, drafter)
    data = kind_spec(Stage.MOU).starter(process.programme.region, timezone.localdate())
    data.title = LONG
    data.articles[0].body = f"Pembuka {LONG} penutup."
    driver.submit_draft(task, drafter, data)
    review = driver.open_tasks(process).get(flow_task=process.flow_class.review_diskominfo)
    reviewer = driver.holder_of(review)
    driver.claim(review, reviewer)
    driver.decide(review, reviewer, "approved", note=f"Catatan {LONG}")
    return process


def test_long_unbroken_text_wraps_on_every_page_at_desktop_and_phone_width(client, long_case):
    chromium_or_skip()
    legal = driver.open_tasks(long_case).get(flow_task=long_case.flow_class.review_legal)
    verifier = driver.holder_of(legal)
    driver.claim(legal, verifier)
    client.force_login(verifier)
    pages = {
        "review": rendered(client, legal.flow_task.reverse("execute", args=[long_case.pk, legal.pk])),
        "case": rendered(client, reverse("sepakat:case_detail", args=[long_case.pk])),
    }
    driver.decide(legal, verifier, "approved")
    paraf = driver.open_tasks(long_case).get(flow_task=long_case.flow_class.paraf_laip)
    initialler = driver.holder_of(paraf)
    driver.claim(paraf, initialler)
    client.force_login(initialler)
    pages["paraf"] = rendered(client, paraf.flow_task.reverse("execute", args=[long_case.pk, paraf.pk]))
    assert b'class="sp-hash"' in pages["paraf"]  # the file's SHA-256, 64 characters unbroken
    assert overflows(pages) == {name: {"desktop": 0, "phone": 0} for name in pages}


def test_long_unbroken_text_wraps_in_the_pdf(long_case):
    content = draft_pdf(long_case.document.latest_version())
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert re.sub(r"\s+", "", text).count(LONG) >= 2  # title and article, whole once the line breaks go
    # Unwrapped, the 300 characters would sit on one line, running off the page; a line holds about 90.
    longest = max(len(word) for line in text.splitlines() for word in line.split())
    assert longest < 120, longest


def test_the_public_verification_and_checkpoint_pages_fit_desktop_and_phone(client, programme):
    """The values printed on the paper copy (64-character hashes) and the checkpoint list, for strangers."""
    chromium_or_skip()
    driver.run_programme(programme("kota-banjar"), stop_stage=Stage.MASTERPLAN, stop_step="draft")
    from workflows.models import StageProcess

    regulation = StageProcess.objects.get(programme=programme("kota-banjar"), stage=Stage.REGULATION)
    pages = {}
    for name, path in (("verify", reverse("verify_document", args=[regulation.document.verification_token])),
                       ("checkpoints", reverse("checkpoints"))):
        response = client.get(path)
        assert response.status_code == 200, name
        pages[name] = response.content
    assert b"Nilai yang tercetak pada dokumen" in pages["verify"] and b"Cocok" in pages["verify"]
    assert b"tahap selesai" in pages["checkpoints"]
    assert overflows(pages) == {name: {"desktop": 0, "phone": 0} for name in pages}
