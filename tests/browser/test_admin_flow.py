"""The admin as a collector uses it, in headless Chromium at 1,400 px: find an overdue invoice,
see what happened to it, record a promise, open and resolve a dispute, put the customer on
credit hold. Screenshots go to docs/screenshots/ with O2C_SCREENSHOTS=1.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from dunning.models import CreditHold
from receivables import demo, services
from receivables.models import Adjustment, Dispute, Invoice, PromiseToPay
from tests.browser.conftest import screenshot
from tests.browser.test_pages import assert_clean, wait_for, wait_text

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def set_value(driver, element, value: str) -> None:
    """Type into a date or text input whatever its widget (the admin's calendar inputs)."""
    element.clear()
    element.send_keys(value)


def fits_the_window(driver) -> bool:
    """No horizontal scrolling: neither the page nor a list's table is wider than its box."""
    return driver.execute_script(
        "const page = document.documentElement;"
        "const boxes = [...document.querySelectorAll('#changelist .results')];"
        "return page.scrollWidth <= page.clientWidth"
        "  && boxes.every(box => box.scrollWidth <= box.clientWidth);"
    )


def test_overdue_invoice_flow(browser, live_server, login):
    demo.seed(customers=8, invoices_per_customer=20, months=14)
    admin_user = get_user_model().objects.create_superuser("admin-flow", "a@example.com", "x")
    login(browser, admin_user)
    today = services.today()

    # The index: headline KPIs with their status, links to the dashboard and the worklist.
    browser.get(live_server.url + "/admin/")
    wait_for(browser, "#headline #kpi-dso")
    tiles = browser.find_elements(By.CSS_SELECTOR, "#headline li.tile")
    assert [t.get_attribute("id") for t in tiles][:3] == [
        "kpi-ar_balance",
        "kpi-past_due_ar",
        "kpi-dso",
    ]
    links = browser.find_element(By.ID, "headline-links").find_elements(By.TAG_NAME, "a")
    assert [a.get_attribute("pathname") for a in links] == [
        "/dashboard/",
        "/admin/worklist/riskmodel/worklist/",
        "/api/v1/worklist/",
    ]
    screenshot(browser, "admin-index")

    # Find an overdue invoice: the past-due filter, most days past due first.
    browser.get(live_server.url + "/admin/receivables/invoice/")
    browser.find_element(By.LINK_TEXT, "Any past due").click()
    wait_for(browser, "#result_list")
    browser.find_element(By.CSS_SELECTOR, "th.column-days_past_due a").click()
    wait_for(browser, "th.column-days_past_due.sorted")
    browser.find_element(By.CSS_SELECTOR, "th.column-days_past_due a.toggle").click()
    wait_for(browser, "th.column-days_past_due.sorted.descending")
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#result_list thead th")]
    assert headers[1:] == [
        "NUMBER",
        "CUSTOMER",
        "DUE DATE",
        "AMOUNT",
        "OPEN",
        "DAYS PAST DUE",
        "STATUS",
        "COLLECTION",
    ]
    assert fits_the_window(browser)
    days = [
        int(td.text)
        for td in browser.find_elements(By.CSS_SELECTOR, "#result_list td.field-days_past_due")
    ]
    assert days == sorted(days, reverse=True)
    assert days[0] > 0
    screenshot(browser, "admin-invoices-past-due")
    number = browser.find_element(By.CSS_SELECTOR, "#result_list th.field-number a").text
    invoice = Invoice.objects.get(number=number)
    assert invoice.days_past_due_at(today) == days[0]

    # What happened to it: the summary first.
    browser.find_element(By.LINK_TEXT, number).click()
    wait_for(browser, "#invoice-summary")
    assert browser.find_element(By.ID, "summary-days-past-due").text == str(days[0])
    assert fits_the_window(browser)
    screenshot(browser, "admin-invoice")

    # Record a promise: the form comes pre-filled with the invoice, its open amount and today.
    browser.find_element(By.LINK_TEXT, "Record a promise").click()
    form = wait_for(browser, "#promisetopay_form")
    assert form.find_element(By.NAME, "created_date").get_attribute("value") == today.isoformat()
    assert Decimal(form.find_element(By.NAME, "amount").get_attribute("value")) == (
        invoice.open_amount
    )
    promised = today + timedelta(days=7)
    set_value(browser, form.find_element(By.NAME, "promised_date"), promised.isoformat())
    form.find_element(By.NAME, "_save").click()
    wait_for(browser, "#invoice-summary")
    promise = PromiseToPay.objects.get(invoice=invoice, created_date=today)
    assert (promise.promised_date, promise.amount, promise.status) == (
        promised,
        invoice.open_amount,
        "open",
    )
    assert "(open, made" in browser.find_element(By.ID, "summary-latest-promise").text

    # Open a dispute, then resolve it with a credit note and notes on its form.
    browser.find_element(By.LINK_TEXT, "Open a dispute").click()
    form = wait_for(browser, "#dispute_form")
    Select(form.find_element(By.NAME, "reason")).select_by_value("pricing")
    set_value(browser, form.find_element(By.NAME, "amount"), "10.00")
    form.find_element(By.NAME, "_save").click()
    wait_for(browser, "#summary-disputes a")
    browser.find_element(By.CSS_SELECTOR, "#summary-disputes a").click()
    form = wait_for(browser, "#resolve-form")
    form.find_element(By.CSS_SELECTOR, "input[name=resolution][value=credited]").click()
    set_value(browser, form.find_element(By.NAME, "credit_amount"), "10.00")
    form.find_element(By.NAME, "notes").send_keys("Price list error; credited.")
    screenshot(browser, "admin-dispute-resolve")
    form.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_text(browser, "ul.messagelist", "is resolved.")
    dispute = Dispute.objects.get(invoice=invoice, opened_date=today)
    assert (dispute.status, dispute.resolution, dispute.notes) == (
        "resolved",
        "credited",
        "Price list error; credited.",
    )
    assert Adjustment.objects.get(invoice=invoice, adjustment_date=today).amount == Decimal("10.00")

    # Put the customer on credit hold from its page.
    browser.find_element(By.CSS_SELECTOR, "#invoice-summary dt a").click()
    wait_for(browser, "#customer-summary")
    browser.find_element(By.ID, "credit-hold-link").click()
    form = wait_for(browser, "#credit-hold-form")
    form.find_element(By.NAME, "note").send_keys("Three promises broken this quarter.")
    form.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    wait_text(browser, "#credit-hold", "On credit hold")
    assert "Placed by hand: Three promises broken this quarter." in (
        browser.find_element(By.ID, "credit-hold").text
    )
    assert CreditHold.objects.get(customer=invoice.customer, lifted_at__isnull=True).note == (
        "Three promises broken this quarter."
    )
    assert fits_the_window(browser)
    browser.set_window_size(1400, 1800)
    screenshot(browser, "admin-customer")
    assert_clean(browser, live_server)
