"""Thresholds (defaults shipped, segment override wins), statuses, "what changed"."""

from datetime import date
from decimal import Decimal

import pytest

from metrics import engine
from metrics.definitions import KPIS
from metrics.models import Threshold
from metrics.thresholds import format_number, sentence, status_of
from tests.factories import CustomerFactory, InvoiceFactory, SegmentFactory
from tests.metrics.conftest import D, pay, scope

pytestmark = pytest.mark.django_db


def test_every_kpi_with_a_direction_has_a_default_threshold():
    directed = {key for key, kpi in KPIS.items() if kpi.better}
    defaults = Threshold.objects.filter(segment=None)
    assert {t.kpi for t in defaults} == directed
    for t in defaults:
        assert t.better == KPIS[t.kpi].better
        assert t.owner
        assert t.playbook_url.startswith("https://")


@pytest.mark.parametrize(
    ("value", "better", "expected"),
    [
        ("45", "lower", "green"),  # on the green boundary
        ("45.01", "lower", "amber"),
        ("60", "lower", "red"),  # on the red boundary
        ("90", "higher", "green"),
        ("85", "higher", "amber"),
        ("80", "higher", "red"),
    ],
)
def test_status_boundaries(value, better, expected):
    green, red = (D(45), D(60)) if better == "lower" else (D(90), D(80))
    assert status_of(D(value), better, green, red) == expected


def test_segment_threshold_wins_over_the_default():
    """DSO 45 days (the public example): default 45/60 -> green; segment's own 30/40 -> red."""
    segment = SegmentFactory()
    Threshold.objects.create(
        kpi="dso", segment=segment, better="lower", green_boundary=D(30), red_boundary=D(40)
    )
    customer = CustomerFactory(segment=segment)
    InvoiceFactory(customer=customer, issue_date=date(2026, 4, 1), amount=D(10000))
    # April, N = 30: AR 15,000 needs 5,000 more from before P.
    InvoiceFactory(customer=customer, issue_date=date(2026, 3, 20), amount=D(5000))
    april = (date(2026, 4, 1), date(2026, 4, 30))

    assert engine.summary(scope(*april)).kpis["dso"].status == "green"
    assert engine.summary(scope(*april, segment=segment.pk)).kpis["dso"].status == "red"
    rows = engine.breakdown("dso", scope(*april), "segment").rows
    assert [(r.group_id, r.value, r.status) for r in rows] == [(segment.pk, D(45), "red")]


def test_sentence_format_matches_the_spec():
    text = sentence(KPIS["dso"], D("48.9"), D("41.2"), D("7.7"), "amber", "USD")
    assert text == "DSO rose from 41.2 to 48.9 days (+7.7): amber."
    text = sentence(KPIS["past_due_ar"], D(1000), D(2500), D(-1500), "green", "USD")
    assert text == "Past-due AR fell from 2,500.00 to 1,000.00 USD (-1,500.00): green."
    assert format_number(D("45.00"), "days") == "45"
    assert format_number(D("98.125"), "%") == "98.13"


def test_what_changed_worst_first():
    """April vs March (both 30 / 31 days).

    March 2026 (previous of 1-30 Apr is 2-31 Mar, N = 30): invoice M 1,000 issued 2 Mar,
    due 1 Apr, fully paid 20 Mar. AR(31 Mar) = 0, sales 1,000 -> DSO 0 (green),
    collected 1,000; CEI = (0 + 1,000 − 0) / (0 + 1,000 − 0) = 100 (green).
    April: invoice A 1,000 issued 1 Apr, due 11 Apr, unpaid. AR(30 Apr) = 1,000 past due,
    DSO = 1,000 / 1,000 × 30 = 30 (green, moved from 0), past-due AR 0 -> 1,000,
    collected 1,000 -> 0 (red: below 100,000), CEI = (0 + 1,000 − 1,000) / (0 + 1,000 − 0)
    = 0 (red). Worst first: red ones (worsened) before green ones.
    """
    customer = CustomerFactory()
    m = InvoiceFactory(
        customer=customer, issue_date=date(2026, 3, 2), due_date=date(2026, 4, 1), amount=D(1000)
    )
    pay(m, 1000, date(2026, 3, 20))
    InvoiceFactory(
        customer=customer, issue_date=date(2026, 4, 1), due_date=date(2026, 4, 11), amount=D(1000)
    )

    result = engine.summary(scope(date(2026, 4, 1), date(2026, 4, 30)))

    assert result.kpis["cei"].value == D(0)
    assert result.kpis["cei"].previous == D(100)
    assert (result.kpis["cei"].status, result.kpis["cei"].previous_status) == ("red", "green")
    changed = result.what_changed
    assert changed.index(
        "Collection effectiveness index fell from 100 to 0% (-100): red."
    ) < changed.index("DSO rose from 0 to 30 days (+30): green.")
    assert changed[:3] == (
        # ADD = 30 − 0 (all AR past due): red, from 0 (an infinite relative move) first.
        "Average days delinquent rose from 0 to 30 days (+30): red.",
        "Cash collected fell from 1,000.00 to 0.00 USD (-1,000.00): red.",
        "Collection effectiveness index fell from 100 to 0% (-100): red.",
    )
    # March's payment was applied by hand: match rate 0 % (red) -> no payment in April: null.
    assert "Cash application match rate has no value now (was 0%)." in changed
    assert "Past-due AR rose from 0.00 to 1,000.00 USD (+1,000.00): green." in changed
    # Credit sales did not move (1,000 both periods): not mentioned.
    assert not any(text.startswith("Credit sales") for text in changed)
    assert all(text.endswith(".") for text in changed)


def test_relative_trigger_is_configurable(settings):
    """AR 1,000 -> 1,050 is +5 %: below the default 10 % it is not mentioned, above 4 % it is."""
    customer = CustomerFactory()
    InvoiceFactory(customer=customer, issue_date=date(2026, 3, 10), amount=D(1000))
    InvoiceFactory(customer=customer, issue_date=date(2026, 4, 10), amount=D(50))
    april = scope(date(2026, 4, 1), date(2026, 4, 30))

    assert not any(t.startswith("AR balance") for t in engine.summary(april).what_changed)
    settings.O2C_WHAT_CHANGED_RELATIVE = "0.04"
    assert "AR balance rose from 1,000.00 to 1,050.00 USD (+50.00)." in (
        engine.summary(april).what_changed
    )
    assert isinstance(engine.summary(april).kpis["ar_balance"].change, Decimal)


def test_thresholds_are_admin_editable(client, django_user_model):
    admin_user = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin_user)
    threshold = Threshold.objects.get(kpi="dso", segment=None)

    assert client.get("/admin/metrics/threshold/").status_code == 200
    assert client.get(f"/admin/metrics/threshold/{threshold.pk}/change/").status_code == 200
