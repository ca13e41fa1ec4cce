"""The customers' history by month (`worklist.history`): its stored facts, worked by hand on
the conftest history; the history the score reads from them, equal to the invoices' own
grouping; the scores and ranking the same either way; kept by writes, rebuilt, checked."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F, Q

from metrics import rollup
from receivables import services
from receivables.models import PaymentApplication
from tests.worklist.conftest import AS_OF, D, invoice, pay, scope
from worklist import history, risk
from worklist.history import STORE
from worklist.models import CustomerHistoryMonth

pytestmark = pytest.mark.django_db


def stored_rows(**filters) -> list[tuple]:
    return list(
        CustomerHistoryMonth.objects.filter(**filters)
        .order_by("customer__name", "currency", "month")
        .values_list("customer__name", "currency", "month", *history.MEASURES)
    )


def read(sql_and_params: tuple) -> dict:
    """{customer id: (n, late, late_days, n_recent, late_recent, amount_sum)}."""
    sql, params = sql_and_params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {
        row[0]: (*(int(v) if v is not None else None for v in row[1:6]), Decimal(str(row[6])))
        for row in rows
    }


def history_at(d: date, source: bool = False, customers: Q | None = None) -> dict:
    reader = history.source_sql if source else history.history_sql
    return read(reader(customers or Q(), "USD", d, risk.HISTORY_DAYS, risk.RECENT_DAYS))


def test_stored_months_are_the_hand_worked_facts(history):
    # Given the conftest history, made through the services
    # Then on 2026-06-01, Acme's 11 months before (2025-07 to 2026-05) hold: A-2
    # paid 10 days late, A-3 30, A-4 66 (05-15 to 07-20); May alone and April-May
    assert stored_rows(month=date(2026, 6, 1)) == [
        ("Acme", "USD", date(2026, 6, 1), 4, 3, 106, 0, 0, D("1000.00"), 2, 2, 2, 2),
    ]
    # On 2026-08-01 A-5 (due 07-10) and N-1 (due 07-01) are unpaid, so late as they stand,
    # 22 and 31 days before the first of August; July alone and June-July hold them
    assert stored_rows(month=date(2026, 8, 1)) == [
        ("Acme", "USD", date(2026, 8, 1), 5, 4, 106, 1, 22, D("1500.00"), 1, 1, 1, 1),
        ("Newco", "USD", date(2026, 8, 1), 1, 1, 0, 1, 31, D("1000.00"), 1, 1, 1, 1),
    ]
    # A month's invoices are in the 11 month starts after it: Acme's from 2026-01 (A-1, due
    # in December) to 2027-06 (A-5, due in July), Newco's from 2026-08 to 2027-06
    assert [row[2] for row in stored_rows(customer=history.acme)] == [
        date(2026 + (month - 1) // 12, (month - 1) % 12 + 1, 1) for month in range(1, 19)
    ]
    assert len(stored_rows(customer=history.newco)) == 11
    assert STORE.differences() == []


def test_history_at_a_month_end_corrects_for_the_payment_after_it(history):
    # Given as_of 2026-06-30: whole months 2025-07 to 2026-05 from the store, June from the
    # invoices; A-4 (May) was paid on 07-20, after as_of: stored 66 days late, 46 at as_of
    # When the score's history is read
    # Then 4 due, 3 late for 10 + 30 + 46 days, the last 90 days (from
    # 04-01) both late, 1000 invoiced; Newco has nothing due before as_of
    expected = {history.acme.pk: (4, 3, 86, 2, 2, D("1000.00"))}
    assert history_at(AS_OF) == expected
    assert history_at(AS_OF, source=True) == expected


def test_history_mid_month_reads_both_partial_months_from_the_invoices(history):
    # Given as_of 2026-05-20: the year is 2025-05-20 to 2026-05-19; whole months 2025-06 to
    # 2026-04 stored, May 1-19 from the invoices: A-3 (due 05-01, paid 05-31)
    # 19 days late by as_of, A-4 (due 05-15) 5 days
    # Then 3 late of 4 for 10 + 19 + 5 days; the last 90 days (from 02-19) hold
    expected = {history.acme.pk: (4, 3, 34, 2, 2, D("1000.00"))}
    assert history_at(date(2026, 5, 20)) == expected
    assert history_at(date(2026, 5, 20), source=True) == expected


def test_history_equals_the_invoices_grouping_on_every_day(history):
    # Given invoices due on the window's edges too (first and last day of a month)
    acme = history.acme
    a6 = invoice(acme, "A-6", 60, date(2025, 7, 1), date(2025, 7, 31))
    pay(a6, 60, date(2025, 9, 3))
    invoice(acme, "A-7", 70, date(2025, 8, 1), date(2025, 8, 1))
    a8 = invoice(history.newco, "N-8", 80, date(2026, 2, 28), date(2026, 2, 28))
    pay(a8, 80, date(2026, 2, 28))
    # Then for every as_of over 14 months the stored reading equals the invoices' grouping
    day = date(2025, 7, 1)
    while day <= date(2026, 8, 31):
        assert history_at(day) == history_at(day, source=True), day
        day += timedelta(days=1)
    # And for some customers only
    only_acme = Q(customer_id__in=[acme.pk])
    expected = history_at(AS_OF, source=True, customers=only_acme)
    assert history_at(AS_OF, customers=only_acme) == expected == {acme.pk: expected[acme.pk]}


@pytest.fixture
def from_source(monkeypatch):
    """Score with the history grouped from the invoices alone (the reference)."""

    def use():
        monkeypatch.setattr(history, "history_sql", history.source_sql)

    return use


@pytest.mark.parametrize("as_of", [date(2026, 5, 20), AS_OF, date(2026, 7, 15)])
@pytest.mark.parametrize("ordering", risk.ORDERINGS)
def test_scores_and_ranking_are_the_same_from_stored_facts_and_from_source(
    history, from_source, as_of, ordering
):
    # Given the history and a third customer with a long record
    acme = history.acme
    for month in range(1, 13):
        due = date(2025, month, 15)
        late = invoice(acme, f"L-{month}", 10 * month, due - timedelta(days=30), due)
        if month % 3:
            pay(late, 10 * month, due + timedelta(days=month))
    model = replace(risk.DEFAULT_MODEL)
    scopes = (scope(), scope(rep=acme.rep_id), scope(customer=history.newco.pk))
    stored = [risk.scored_rows(s, as_of, model, ordering=ordering) for s in scopes]
    stored_bands = risk.band_totals(scope(), as_of, model)
    # (everything reads the stored history; a narrowed scope its customers' invoices)
    # When the same is scored from the invoices alone
    from_source()
    source = [risk.scored_rows(s, as_of, model, ordering=ordering) for s in scopes]
    # Then every row, factor value, log-odds and the order are identical
    assert stored == source
    assert stored[0].count > 0
    assert stored_bands == risk.band_totals(scope(), as_of, model)


def test_writes_keep_the_months(history):
    # When A-5 (due 07-10) is paid on 08-02 and A-2's payment is taken back
    pay(history.a5, 500, date(2026, 8, 2))
    services.unapply(PaymentApplication.objects.get(invoice__number="A-2"))
    # Then on 2026-08-01 A-5 is paid 23 days late (10 + 30 + 66 + 23 less A-2's 10) and A-2
    # unpaid again, due 182 days before the first of August (01-31 to 08-01)
    assert stored_rows(month=date(2026, 8, 1), customer=history.acme) == [
        ("Acme", "USD", date(2026, 8, 1), 5, 4, 119, 1, 182, D("1500.00"), 1, 1, 1, 1),
    ]
    assert STORE.differences() == []


def test_differences_and_rebuild(history):
    # Given a stored month gone wrong and a missing one
    CustomerHistoryMonth.objects.filter(month=date(2026, 6, 1)).update(
        late_days_settled=F("late_days_settled") + 1
    )
    CustomerHistoryMonth.objects.filter(customer=history.acme, month=date(2026, 1, 1)).delete()
    # Then the check names their keys, and the rollup's check reports the store
    expected = [
        (history.acme.pk, "USD", date(2026, 1, 1)),
        (history.acme.pk, "USD", date(2026, 6, 1)),
    ]
    assert STORE.differences() == expected
    assert rollup.store_differences() == {"customer_history": expected}
    # When the rollup is rebuilt (the command)
    call_command("rebuild_ar_rollup", stdout=StringIO())
    # Then the months are right again
    assert STORE.differences() == []
    assert len(stored_rows()) == 18 + 11
