"""The pages a newcomer opens, in headless Chromium against the live test server.

Each test also checks that the browser logged no console error and requested nothing from
any host but the test server (the docs and GraphiQL are served from our static files).
"""

from datetime import date, timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from dashboard import demo as dashboard_demo
from dashboard.models import Annotation, HuddleAction
from receivables import demo
from tests.browser.conftest import console_errors, foreign_requests, screenshot
from tests.factories import UserFactory

# serialized_rollback: each test starts with the migrations' rows (roles, thresholds), which a
# transactional test's flush would otherwise remove for the tests after it.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
WAIT = 30


def wait_for(driver, css: str, timeout: int = WAIT):
    return WebDriverWait(driver, timeout).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def wait_text(driver, css: str, text: str, timeout: int = WAIT) -> None:
    WebDriverWait(driver, timeout).until(
        ec.text_to_be_present_in_element((By.CSS_SELECTOR, css), text)
    )


def assert_clean(driver, live_server) -> None:
    errors = console_errors(driver)
    assert errors == [], errors
    assert foreign_requests(driver, live_server.url) == []


@pytest.fixture
def demo_data():
    demo.seed(customers=8, invoices_per_customer=20, months=14)


def test_landing_page_links_everything(browser, live_server):
    browser.get(live_server.url + "/")

    assert browser.find_element(By.TAG_NAME, "h1").text == "o2c-api"
    links = {a.get_attribute("pathname") for a in browser.find_elements(By.CSS_SELECTOR, "a")}
    assert {"/dashboard/", "/api/docs/", "/api/v1/", "/graphql/", "/admin/"} <= links
    assert "/api/v1/kpis/glossary/" in links
    assert_clean(browser, live_server)


def test_swagger_ui_renders_the_schema(browser, live_server):
    browser.get(live_server.url + "/api/docs/")

    wait_text(browser, ".swagger-ui .info .title", "o2c-api")
    wait_for(browser, ".opblock-tag-section")
    tags = {t.text for t in browser.find_elements(By.CSS_SELECTOR, ".opblock-tag")}
    assert {"invoices", "kpis", "huddle-actions", "annotations"} <= {t.split()[0] for t in tags}
    screenshot(browser, "swagger-ui")
    assert_clean(browser, live_server)


def test_redoc_renders_the_schema(browser, live_server):
    browser.get(live_server.url + "/api/redoc/")

    wait_text(browser, "h1", "o2c-api")
    wait_for(browser, "[data-item-id='tag/invoices']")
    screenshot(browser, "redoc")
    assert_clean(browser, live_server)


def test_graphiql_runs_a_query(browser, live_server, login, demo_data):
    login(browser, UserFactory(username="viewer-gql", role="viewer"))
    browser.get(live_server.url + "/graphql/")

    wait_for(browser, ".graphiql-execute-button").click()
    wait_text(browser, ".graphiql-response", '"dso"')
    response = browser.find_element(By.CSS_SELECTOR, ".graphiql-response").text
    assert '"whatChanged"' in response
    assert '"errors"' not in response
    screenshot(browser, "graphiql")
    assert_clean(browser, live_server)


def test_dashboard_drilldown_to_invoices_and_back(browser, live_server, login, demo_data):
    dashboard_demo.seed(date.today())  # the demo's notes and huddle action, for the screenshot
    login(browser, UserFactory(username="viewer-dash", role="viewer"))
    browser.get(live_server.url + "/dashboard/")

    tiles = browser.find_elements(By.CSS_SELECTOR, "#tiles .tile")
    assert [t.get_attribute("id") for t in tiles] == [
        "tile-ar_balance",
        "tile-past_due_ar",
        "tile-dso",
        "tile-cei",
        "tile-first_pass_yield",
        "tile-dispute_rate",
        "tile-cash_application_match_rate",
    ]
    assert "USD" in browser.find_element(By.CSS_SELECTOR, "#tile-ar_balance .value").text
    assert len(browser.find_elements(By.CSS_SELECTOR, "#trends svg.chart path.line")) == 7
    assert browser.find_elements(By.CSS_SELECTOR, "#aging tbody tr")
    # The panels are loaded after the page (dashboard/panels.js), from the same server.
    wait_for(browser, '#panels[data-loaded="true"] #outlook')
    assert not browser.find_elements(By.CSS_SELECTOR, "#panels .loading")
    browser.set_window_size(1400, 1500)
    screenshot(browser, "dashboard")
    # The panels: 13 weeks and the rest, the top of the worklist, four score bands.
    outlook = browser.find_elements(By.CSS_SELECTOR, "#outlook tbody tr")
    assert len(outlook) == 14
    assert outlook[-1].find_element(By.TAG_NAME, "th").text == "Later"
    assert "USD" in outlook[0].find_elements(By.CSS_SELECTOR, "td.num")[0].text
    lines = browser.find_elements(By.CSS_SELECTOR, "#worklist table.worklist tbody tr")
    assert 1 <= len(lines) <= 10
    invoice_link = lines[0].find_element(By.CSS_SELECTOR, "td a")
    assert invoice_link.get_attribute("pathname").startswith("/admin/receivables/invoice/")
    bands = browser.find_elements(By.CSS_SELECTOR, "#risk tbody tr")
    assert [b.find_element(By.TAG_NAME, "th").text for b in bands] == [
        "0–25",
        "25–50",
        "50–75",
        "75–100",
    ]
    browser.execute_script("document.getElementById('outlook').scrollIntoView()")
    screenshot(browser, "dashboard-panels")
    browser.execute_script("window.scrollTo(0, 0)")

    browser.find_element(By.CSS_SELECTOR, "#tile-dso h3 a").click()
    wait_text(browser, "h1", "DSO")
    assert "By rep" in browser.find_element(By.CSS_SELECTOR, "#breakdown h2").text
    browser.find_element(By.CSS_SELECTOR, "#breakdown tbody a").click()
    wait_text(browser, "#breakdown h2", "By customer")
    rep_crumb = browser.find_elements(By.CSS_SELECTOR, ".crumbs a")[-1].text
    assert browser.find_element(By.CSS_SELECTOR, ".crumbs span").text.startswith("Rep: ")
    assert rep_crumb == "DSO"
    browser.find_element(By.CSS_SELECTOR, "#breakdown tbody a").click()
    wait_text(browser, "h1", "Invoices")
    assert browser.find_elements(By.CSS_SELECTOR, "table.invoices tbody tr td a")
    crumbs = [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".crumbs a")]
    assert crumbs[:2] == ["Dashboard", "DSO"]
    assert crumbs[2].startswith("Rep: ")
    assert crumbs[3].startswith("Customer: ")

    browser.find_element(By.LINK_TEXT, "DSO").click()
    wait_text(browser, "#breakdown h2", "By rep")
    browser.find_element(By.LINK_TEXT, "Dashboard").click()
    wait_for(browser, "#tiles")
    assert_clean(browser, live_server)


def test_annotation_is_drawn_on_the_trend_lines(browser, live_server, login, demo_data):
    login(browser, UserFactory(username="collector-note", role="collector"))
    browser.get(live_server.url + "/dashboard/")
    form = browser.find_element(By.ID, "annotation-form")
    # Inside the trend lines' span, which ends with the last full month.
    note_day = (date.today().replace(day=1) - timedelta(days=1)).replace(day=15)
    date_input = form.find_element(By.NAME, "note_date")
    browser.execute_script("arguments[0].value = arguments[1]", date_input, note_day.isoformat())
    form.find_element(By.NAME, "text").send_keys("New reminder wording")
    form.find_element(By.CSS_SELECTOR, "button").click()

    wait_for(browser, "#notes")
    marks = browser.find_elements(By.CSS_SELECTOR, "#trend-dso svg g.annotation title")
    assert [m.get_attribute("textContent") for m in marks] == [
        f"{note_day.isoformat()}: New reminder wording"
    ]
    assert Annotation.objects.get().text == "New reminder wording"
    assert_clean(browser, live_server)


def test_csv_export_of_a_breakdown(browser, live_server, login, demo_data):
    login(browser, UserFactory(username="viewer-csv", role="viewer"))
    browser.get(live_server.url + "/dashboard/kpis/dso/")
    href = browser.find_element(By.LINK_TEXT, "Export this table (CSV)").get_attribute("href")

    body = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then("
        "  r => r.text().then(t => done([r.headers.get('content-type'), t])));",
        href,
    )
    content_type, text = body
    assert content_type == "text/csv; charset=utf-8"
    lines = text.strip().splitlines()
    assert lines[0] == "rep,name,dso,status,unit,currency"
    rows = browser.find_elements(By.CSS_SELECTOR, "#breakdown tbody tr")
    assert len(lines) == len(rows) + 1
    assert_clean(browser, live_server)


def test_huddle_action_from_what_changed(browser, live_server, login, demo_data):
    login(browser, UserFactory(username="collector-huddle", role="collector"))
    browser.get(live_server.url + "/dashboard/")
    line = browser.find_element(By.CSS_SELECTOR, "#what-changed li")
    sentence = line.text.removesuffix(" + action")
    line.find_element(By.CSS_SELECTOR, "a.add-action").click()

    form = wait_for(browser, "#action-form")
    form.find_element(By.NAME, "title").send_keys("Call the ten largest past-due customers")
    form.find_element(By.NAME, "owner").send_keys("Dana")
    form.find_element(By.NAME, "definition_of_done").send_keys("Each has a promise or a dispute")
    form.find_element(By.CSS_SELECTOR, "button").click()

    wait_text(browser, "#actions table", "Call the ten largest past-due customers")
    action = HuddleAction.objects.get()
    assert (action.owner, action.context, action.status) == ("Dana", sentence, "open")
    browser.find_element(By.CSS_SELECTOR, "#actions button").click()
    wait_text(browser, "#actions", "No open actions.")
    assert HuddleAction.objects.get().status == "done"
    assert_clean(browser, live_server)
