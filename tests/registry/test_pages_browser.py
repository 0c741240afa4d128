"""The server-rendered pages end to end, in Debian's headless Chromium against a real `registry serve`.

A history is prepared through the API on a manual clock (a license that defaults and is cured, one
that defaults and is terminated); then a browser looks models up as the public, signs in with an API
token, files a notice through the form (a refused one first), reads its classification with the
uncertain points, and reads a license with its ledger. Screenshots are kept as test artifacts in
$DISTILLGOV_ARTIFACTS (or the test's tmp folder; the path is printed).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from distillgov.registry.models import Role

from . import scenario, servers
from .harness import Harness

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
DOCS_IMAGES = Path(__file__).parents[2] / "docs" / "img"


@dataclass
class World:
    server: servers.Server
    tokens: dict[str, str]
    ids: dict[str, int]
    artifacts: Path


def _prepare_history(h: Harness) -> tuple[dict[str, str], dict[str, int]]:
    """Two licenses on a manual clock: one defaults, is cured, expires; the other defaults, terminates."""
    h.clock.set_date(date(2026, 1, 15))
    tokens = {
        "admin": h.user("Registry Office", Role.administrator, "registrar"),
        "owner": h.user("Frontier Lab", Role.teacher_owner, "frontier-counsel"),
        "cloner": h.user("CloneCorp", Role.distiller, "clonecorp-compliance"),
    }

    def write(path: str, token: str, body: Any = None, status: int = 201) -> Any:
        return h.ok(h.post(path, tokens[token], body), status)["result"]

    model = write("/v1/models", "owner", scenario.protected_model())
    notices = [
        write("/v1/notices", "cloner", scenario.clone_notice(model["id"], f"Clone-{i}")) for i in (1, 2)
    ]
    cured, terminated = (write("/v1/licenses", "cloner", {"notice_id": n["id"]})["id"] for n in notices)
    for lic in (cured, terminated):
        write(f"/v1/licenses/{lic}/approve", "admin", {}, 200)

    def report(lic: int, period: str, base: int) -> None:
        write(
            f"/v1/licenses/{lic}/reports",
            "cloner",
            {"period": period, "base_amount_minor": base, "currency": "USD"},
        )

    def pay(lic: int, amount: int, reference: str) -> None:
        write(
            f"/v1/licenses/{lic}/payments",
            "cloner",
            {"amount_minor": amount, "currency": "USD", "reference": reference},
        )

    h.clock.set_date(date(2026, 2, 3))
    report(cured, "2026-01", 1_234_567)
    pay(cured, 61_728, "wire 2026-01")
    report(terminated, "2026-01", 500_000)  # assessed, never paid
    h.clock.set_date(date(2026, 4, 20))
    write("/v1/admin/sweep", "admin", None, 200)  # both in default: one missed a report, one a payment
    h.clock.set_date(date(2026, 4, 21))
    report(cured, "2026-02", 100_000)
    report(cured, "2026-03", 100_000)
    pay(cured, 10_000, "wire 2026-02/03")  # nothing overdue any more: cured on the spot
    h.clock.set_date(date(2026, 6, 25))
    report(cured, "2026-04", 0)
    report(cured, "2026-05", 0)
    write("/v1/admin/sweep", "admin", None, 200)  # the unpaid one is terminated, the settled one expires
    return tokens, {"model": model["id"], "clone": notices[0]["id"], "cured": cured, "terminated": terminated}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("pages")
    database = folder / "registry.sqlite3"
    database.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite:///{database}"
    h = Harness(url)
    try:
        tokens, ids = _prepare_history(h)
    finally:
        h.close()
    artifacts = Path(os.environ.get("DISTILLGOV_ARTIFACTS") or folder) / "registry-pages"
    artifacts.mkdir(parents=True, exist_ok=True)
    print(f"\nregistry page screenshots: {artifacts}")
    key, _vkey = servers.key_file(folder)
    with servers.running(url, key, folder, name="pages") as server:
        yield World(server, tokens, ids, artifacts)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, world: World) -> Iterator[Page]:
    context = browser.new_context(base_url=world.server.url, viewport={"width": 1200, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def shot(world: World, page: Page, name: str, full_page: bool = True) -> None:
    page.screenshot(path=str(world.artifacts / f"{name}.png"), full_page=full_page)
    if os.environ.get("DISTILLGOV_DOCS_SCREENSHOTS"):
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_IMAGES / f"registry-{name}.png"), full_page=False)


def assert_accessible_form(page: Page) -> None:
    """Every visible control has a label naming it; the page has one h1 and a language."""
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").count() == 1
    controls = page.locator("main input:not([type=hidden]), main select, main textarea")
    for i in range(controls.count()):
        control_id = controls.nth(i).get_attribute("id")
        assert control_id and page.locator(f'label[for="{control_id}"]').count() == 1, control_id


def log_size(world: World) -> int:
    with world.server.client() as client:
        size: int = client.get("/healthz").json()["log_size"]
        return size


def test_public_lookup_by_name_and_digest(page: Page, world: World) -> None:
    page.goto("/")
    assert_accessible_form(page)
    page.get_by_label("Weights digest").fill("Frontier-1")
    page.get_by_role("button", name="Look up").click()
    card = page.get_by_role("article", name="protected model Frontier-1")
    assert "protected" in card.inner_text() and "Frontier Lab" in card.inner_text()
    shot(world, page, "lookup-teacher")

    page.get_by_label("Weights digest").fill(scenario.digest("Clone-1"))
    page.get_by_role("button", name="Look up").click()
    row = page.locator("table tbody tr").first
    text = row.inner_text()
    assert "Clone-1" in text and "independent" in text and "license 1 expired" in text
    shot(world, page, "lookup-student")
    with page.expect_response(re.compile(r"/mlbom$")) as answer:
        row.get_by_role("link", name="CycloneDX ML-BOM").click()
    bom = answer.value.json()
    assert bom["bomFormat"] == "CycloneDX"
    assert bom["metadata"]["component"]["pedigree"]["ancestors"][0]["name"] == "Frontier-1"


def test_unknown_model_says_so(page: Page) -> None:
    page.goto("/?q=" + scenario.digest("never-registered"))
    assert "No protected model is registered" in page.content()
    assert "knows of no distillation" in page.content()


def test_the_public_sees_a_license_and_its_history_but_not_its_ledger(page: Page, world: World) -> None:
    page.goto(f"/licenses/{world.ids['cured']}")
    history = page.locator("#history tbody").inner_text()
    assert [line.split("\t")[1].split(":")[0] for line in history.splitlines()] == [
        "requested",
        "issued",
        "default",
        "cured",
        "expired",
    ]
    assert "usage reports overdue for 2026-02" in history  # why it defaulted
    assert page.locator("#unsourced").is_visible()  # the regime's UNSOURCED parameters stay visible
    assert page.locator("#ledger-hidden").is_visible() and page.locator("#reports").count() == 0
    page.goto(f"/licenses/{world.ids['terminated']}")
    assert page.locator("#license-status").inner_text() == "terminated"
    assert "terminated" in page.locator("#history tbody").inner_text()
    shot(world, page, "license-terminated-public")


def sign_in(page: Page, token: str, then: str) -> None:
    page.goto(f"/login?next={then}")
    assert_accessible_form(page)
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()


def test_filing_a_notice_through_the_form(page: Page, world: World) -> None:
    page.goto("/notices/new")
    assert "/login?next=" in page.url  # the form needs a signed-in distiller
    sign_in(page, world.tokens["cloner"], "/notices/new")
    assert page.url.endswith("/notices/new")
    session = next(c for c in page.context.cookies() if c["name"] == "dgr_session")
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    assert world.tokens["cloner"] not in session["value"]  # the cookie names the token by hash only
    assert_accessible_form(page)

    facts = '{"distiller": {"relationship": "unrelated"}}'
    page.get_by_label("Teacher (a registered protected model)").select_option(
        label="Frontier-1 (Frontier Lab)"
    )
    page.get_by_label("Purpose").select_option("non_commercial_research")
    page.get_by_label("Expected queries").fill("40000")
    page.get_by_label("Name", exact=True).fill("Form-Study")
    page.get_by_label("Weights digest").fill("sha256:not-a-digest")
    page.get_by_label("Further facts").fill(facts)
    before = log_size(world)
    page.get_by_role("button", name="File the notice").click()
    alert = page.get_by_role("alert")
    assert "The notice was not filed" in alert.inner_text()
    assert page.get_by_label("Weights digest").get_attribute("aria-invalid") == "true"
    assert "sha256" in page.locator("#student_digest-error").inner_text()
    assert page.get_by_label("Name", exact=True).input_value() == "Form-Study"  # what was typed is kept
    assert log_size(world) == before  # nothing written
    shot(world, page, "notice-form-refused")

    page.get_by_label("Weights digest").fill(scenario.digest("Form-Study"))
    submitted = {
        name: page.locator(f"form [name={name}]").first.input_value()
        for name in ("csrf", "idempotency_key", "teacher_model_id", "purpose", "expected_volume",
                     "student_name", "student_digest", "facts")
    }  # fmt: skip
    page.get_by_role("button", name="File the notice").click()
    assert re.search(r"/notices/\d+$", page.url), page.url
    notice_id = int(page.url.rsplit("/", 1)[1])
    assert page.locator("#classification").inner_text() == "uncertain"
    uncertain = page.locator("#uncertainties tbody tr")
    assert uncertain.count() > 0
    assert "conduct.method" in page.locator("#uncertainties").inner_text()
    shot(world, page, "notice-classified", full_page=False)  # the justification tree runs long

    # The form went through the API's service layer: the API reports the same classification, and the
    # same declaration filed through the API is classified identically.
    with world.server.client(world.tokens["cloner"]) as api:
        filed = api.get(f"/v1/notices/{notice_id}").json()
        body = {
            "teacher_model_id": world.ids["model"], "purpose": "non_commercial_research", "commercial": False,
            "expected_volume": 40000, "student": {"name": "Api-Study"},
            "facts": {"distiller": {"relationship": "unrelated"}},
        }  # fmt: skip
        twin = api.post("/v1/notices", json=body, headers={"Idempotency-Key": f"twin-{notice_id}"}).json()[
            "result"
        ]
    assert filed["student"] == {"name": "Form-Study", "weights_digest": scenario.digest("Form-Study")}
    for field in (
        "classification",
        "safe_harbors",
        "safe_harbors_uncertain",
        "immunity",
        "compulsory_license",
    ):
        assert filed[field] == twin[field], field
    assert filed["details"]["uncertainties"] == twin["details"]["uncertainties"]
    assert (
        filed["details"]["facts_sha256"] == twin["details"]["facts_sha256"]
    )  # the same facts reached the law

    # Submitting the same form again (back button, double click) replays the first filing.
    again = page.request.post("/notices/new", form=submitted, max_redirects=0)
    assert again.status == 303 and again.headers["location"] == f"/notices/{notice_id}"


def test_a_form_without_its_csrf_token_is_refused(page: Page, world: World) -> None:
    sign_in(page, world.tokens["cloner"], "/notices/new")
    before = log_size(world)
    answer = page.request.post(
        "/notices/new",
        form={"teacher_model_id": str(world.ids["model"]), "purpose": "internal", "student_name": "X"},
    )
    assert answer.status == 403 and "CSRF" in answer.text()
    assert log_size(world) == before


def test_the_licensee_sees_the_ledger(page: Page, world: World) -> None:
    lic = world.ids["cured"]
    sign_in(page, world.tokens["cloner"], f"/licenses/{lic}")
    assert page.url.endswith(f"/licenses/{lic}")
    reports = page.locator("#reports tbody").inner_text()
    assert "2026-01" in reports and "12,345.67 USD" in reports and "617.28 USD" in reports
    assert "5,000.00 USD" not in reports and "50.00 USD" in reports  # 5% of 1,000.00
    payments = page.locator("#payments tbody").inner_text()
    assert "wire 2026-01" in payments and "617.28 USD" in payments and "100.00 USD" in payments
    assert page.locator("#balance").inner_text() == "0.00 USD"
    history = page.locator("#history tbody").inner_text()
    assert "default" in history and "cured" in history
    shot(world, page, "license-ledger")


def test_a_distillers_page_refuses_other_roles(page: Page, world: World) -> None:
    sign_in(page, world.tokens["owner"], "/notices/new")
    assert page.get_by_role("heading", level=1).inner_text() == "Not allowed for this role or organization"
    assert "distiller" in page.get_by_role("alert").inner_text()
