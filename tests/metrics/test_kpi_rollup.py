"""The KPI rollup answers every block exactly as the source rows do, and stays equal to its
recomputation through every kind of write."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from accounts import services as account_services
from accounts.models import Opportunity
from metrics import blocks, engine, rollup, sums
from metrics.models import KPIRollup
from metrics.scope import Period, split
from receivables import services
from tests.admin_helpers import admin_url, form_errors, post_form
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    InvoiceFactory,
    OpportunityFactory,
    OrderFactory,
    SalesRepFactory,
    SegmentFactory,
)
from tests.metrics.conftest import D, pay, scope
from tests.metrics.reference import reference_ar, reference_collected, reference_credit_sales

pytestmark = pytest.mark.django_db

START, END = date(2026, 1, 1), date(2026, 3, 31)
WINDOWED = (
    blocks.invoice_quality,
    blocks.dispute_resolution,
    blocks.payment_matching,
    blocks.promise_keeping,
    blocks.time_to_invoice,
    blocks.reminder_funnel,
    blocks.pipeline,
)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


@pytest.fixture
def facts():
    """Three months of every kind of fact over two reps, two segments, two product lines."""
    reps = [SalesRepFactory(), SalesRepFactory()]
    segments = [SegmentFactory(), SegmentFactory()]
    customers = [CustomerFactory(rep=reps[i % 2], segment=segments[(i // 2) % 2]) for i in range(4)]
    for n in range(30):
        customer = customers[n % 4]
        issue = START + timedelta(days=3 * n)
        order = None
        if n % 2:
            order = OrderFactory(customer=customer, order_date=issue - timedelta(days=n % 9))
        invoice = InvoiceFactory(
            customer=customer,
            order=order,
            issue_date=issue,
            due_date=issue + timedelta(days=10 + n % 3 * 10),
            amount=D(100 + 10 * n),
            product_line=("hw", "sw", "")[n % 3],
            rep=reps[n % 5 % 2] if n % 4 else None,
        )
        if n % 3 == 0:
            pay(invoice, 40, issue + timedelta(days=4), automatic=True)
        if n % 5 == 0:
            dispute = services.open_dispute(
                invoice, reason="pricing", amount=D(10), opened_date=issue + timedelta(days=1)
            )
            if n % 10 == 0:
                services.resolve_dispute(
                    dispute, resolution="upheld", resolved_date=issue + timedelta(days=6 + n % 4)
                )
        if n % 7 == 0:
            services.add_adjustment(
                invoice, kind="credit_note", amount=D(5), adjustment_date=issue + timedelta(days=2)
            )
        if n % 4 == 1:
            services.create_promise(
                invoice,
                promised_date=issue + timedelta(days=12),
                amount=D(30),
                created_date=issue + timedelta(days=3),
            )
            if n % 8 == 1:
                pay(invoice, 30, issue + timedelta(days=10))
        if n % 3 == 1:
            ActivityFactory(
                customer=customer,
                invoice=invoice,
                occurred_at=at(issue + timedelta(days=5)),
                clicked_at=at(issue + timedelta(days=6)) if n % 2 else None,
            )
            if n % 6 == 1:
                pay(invoice, 20, issue + timedelta(days=9))
    ActivityFactory(customer=customers[1], occurred_at=at(date(2026, 2, 3)))
    for n in range(12):
        created = START - timedelta(days=20) + timedelta(days=8 * n)
        stage = ("won", "lost", "open")[n % 3]
        OpportunityFactory(
            customer=customers[n % 4],
            rep=reps[n % 2] if n % 5 else None,
            amount=D(1000 + 100 * n),
            created_date=created,
            stage=stage,
            closed_date=created + timedelta(days=15 + n) if stage != "open" else None,
        )
    services.void_invoice(InvoiceFactory(customer=customers[0], issue_date=date(2026, 2, 1)))
    return {"reps": reps, "segments": segments, "customers": customers}


def source_answer(block, s, periods, group_by=None):
    """The block's answer from the source rows (the KPI rollup switched off)."""
    original = sums.rollup_answers
    sums.rollup_answers = lambda *args, **kwargs: False
    try:
        return block(s, periods, group_by)
    finally:
        sums.rollup_answers = original


def clean(answer: dict) -> dict:
    return {key: {k: v for k, v in row.items() if k != "kpi_bucket"} for key, row in answer.items()}


def scopes(data):
    """Everything, each dimension alone (projected rows) and their combinations (full rows)."""
    rep, segment = data["reps"][0].pk, data["segments"][1].pk
    yield scope(START, END)
    yield scope(START, END, rep=rep)
    yield scope(START, END, segment=segment)
    yield scope(START, END, product_line="sw")
    yield scope(START, END, rep=rep, segment=segment)
    yield scope(START, END, rep=rep, product_line="sw")
    yield scope(START, END, segment=segment, product_line="sw")
    yield scope(START, END, rep=rep, segment=segment, product_line="sw")


def test_the_data_has_every_kind_of_fact(facts, check_rollup):
    check_rollup()
    rows = KPIRollup.objects.filter(rep_key=-1, segment_key=-1, product_line="*")
    missing = [m for m in rollup.MEASURES if not rows.exclude(**{m: 0}).exists()]
    assert missing == []
    # Current AR is a running sum: every not-yet-due movement is taken back after its due date.
    assert sum(row.ar_current for row in rows) == 0


@pytest.mark.parametrize("interval", ["month", "week"])
def test_every_block_answers_as_the_source_rows(facts, interval):
    for s in scopes(facts):
        periods = split(s.period, interval)
        assert sums.kpi_projection(s, None) is not None
        for block in WINDOWED:
            fast = block(s, periods)
            assert clean(fast) == clean(source_answer(block, s, periods)), (block, s)
            if s == scope(START, END):
                assert fast, block  # not trivially empty


@pytest.mark.parametrize("group_by", ["rep", "segment", "product_line"])
@pytest.mark.parametrize("narrowed", [False, True])
def test_every_grouped_block_answers_as_the_source_rows(facts, group_by, narrowed):
    """Grouped over everything (projected rows), and over a scope narrowed by another
    dimension (full rows)."""
    narrowing = {"rep": {"segment": facts["segments"][1].pk}}.get(group_by, {})
    if not narrowing:
        narrowing = {"rep": facts["reps"][0].pk}
    s = scope(START, END, **(narrowing if narrowed else {}))
    periods = split(s.period, "month")
    for block in WINDOWED:
        if block in (blocks.payment_matching, blocks.pipeline) and group_by == "product_line":
            continue  # not applicable to facts without a product line
        assert clean(block(s, periods, group_by)) == clean(
            source_answer(block, s, periods, group_by)
        ), block


def test_payments_ignore_the_product_line_filter(facts):
    s = scope(START, END, product_line="sw")
    periods = [s.period]
    everything = blocks.payment_matching(scope(START, END), periods)
    assert blocks.payment_matching(s, periods) == everything


@pytest.mark.parametrize("dates_at", ["month_ends", "mid_month"])
def test_ar_movements_answer_as_the_source_rows(facts, dates_at):
    if dates_at == "month_ends":
        dates = [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]
    else:
        dates = [date(2026, 1, 9), date(2026, 2, 14), date(2026, 3, 20)]
    for s in scopes(facts):
        fast = blocks.movements(s, dates, dates, path="kpi_rollup")
        slow = blocks.movements(s, dates, dates, path="source")
        for d in dates:
            assert fast.ar(None, d) == slow.ar(None, d) == reference_ar(s, d)
            assert fast.current_ar(None, d) == reference_ar(s, d, current_only=True)
        for a, b in zip(dates, dates[1:], strict=False):
            period = Period(a + timedelta(days=1), b)
            assert fast.credit_sales(None, period) == reference_credit_sales(s, period)
            assert fast.collected(None, period) == reference_collected(s, period)


def test_summary_paths_agree(facts):
    """The whole summary through the KPI rollup equals the one from the source rows."""
    s = scope(date(2026, 2, 1), date(2026, 2, 28))
    fast = engine.summary(s)
    original = sums.rollup_answers
    sums.rollup_answers = lambda *args, **kwargs: False
    try:
        slow = engine.summary(s)
    finally:
        sums.rollup_answers = original
    assert {k: (v.value, v.previous) for k, v in fast.kpis.items()} == {
        k: (v.value, v.previous) for k, v in slow.kpis.items()
    }
    assert fast.what_changed == slow.what_changed


def test_hand_worked_invoice_quality_from_the_rollup(db):
    """Three invoices in January: one disputed, one credited, one clean."""
    customer = CustomerFactory()
    first, second, third = (
        InvoiceFactory(customer=customer, issue_date=date(2026, 1, d)) for d in (5, 10, 20)
    )
    services.open_dispute(first, reason="pricing", amount=D(10), opened_date=date(2026, 2, 3))
    services.add_adjustment(
        second, kind="credit_note", amount=D(5), adjustment_date=date(2026, 1, 12)
    )
    s = scope(date(2026, 1, 1), date(2026, 1, 31))
    row = blocks.invoice_quality(s, [s.period])[(None, 1)]
    assert (row["issued"], row["disputed"], row["first_pass"]) == (3, 1, 1)
    all_dims = KPIRollup.objects.get(
        day=date(2026, 1, 5), rep_key=-1, segment_key=-1, product_line="*"
    )
    assert (all_dims.invoices_issued, all_dims.invoices_disputed) == (1, 1)
    assert third.pk


# --- Every write keeps the rollup equal to its recomputation ----------------------------------


def test_customer_rep_and_segment_changes_rekey_the_facts(facts, check_rollup):
    customer = facts["customers"][1]
    account_services.update_customer(customer, segment=facts["segments"][0], rep=facts["reps"][0])
    check_rollup()
    s = scope(START, END, rep=facts["reps"][0].pk)
    periods = [s.period]
    assert clean(blocks.payment_matching(s, periods)) == clean(
        source_answer(blocks.payment_matching, s, periods)
    )


def test_opportunity_edits_and_deletes_keep_the_rollup(facts, check_rollup):
    opportunity = OpportunityFactory(customer=facts["customers"][0], created_date=START)
    check_rollup()
    account_services.update_opportunity(opportunity, stage="won", closed_date=date(2026, 2, 10))
    check_rollup()
    account_services.delete_opportunity(opportunity)
    check_rollup()


def test_order_date_and_invoice_edits_keep_the_rollup(facts, check_rollup):
    order = OrderFactory(customer=facts["customers"][0], order_date=date(2026, 1, 2))
    invoice = InvoiceFactory(customer=facts["customers"][0], order=order, issue_date=START)
    services.update_order(order, order_date=date(2025, 12, 20))
    check_rollup()
    services.update_invoice(
        invoice, due_date=date(2026, 2, 20), product_line="sw", rep=facts["reps"][1]
    )
    check_rollup()
    services.void_invoice(invoice)
    check_rollup()


def test_reminder_clicks_and_unapplied_cash_keep_the_rollup(facts, check_rollup):
    invoice = InvoiceFactory(customer=facts["customers"][2], issue_date=date(2026, 3, 1))
    activity = ActivityFactory(
        customer=invoice.customer, invoice=invoice, occurred_at=at(date(2026, 3, 2))
    )
    payment = pay(invoice, 50, date(2026, 3, 4))
    check_rollup()
    services.update_activity(activity, clicked_at=at(date(2026, 3, 3)))
    check_rollup()
    services.unapply(payment.applications.get())
    check_rollup()


def test_a_failed_write_posts_nothing(facts, check_rollup):
    before = rollup.stored()
    invoice = InvoiceFactory(customer=facts["customers"][0], issue_date=START)
    with pytest.raises(ValidationError):
        services.open_dispute(invoice, reason="pricing", amount=D(-1), opened_date=START)
    check_rollup()
    assert rollup.stored() != before  # the invoice itself was posted


def test_touch_outside_tracking_is_refused(db):
    with pytest.raises(RuntimeError):
        rollup.touch(invoices={1})


def test_rebuild_writes_what_recompute_says(facts):
    expected = rollup.stored()
    KPIRollup.objects.all().delete()
    assert rollup.differences() != []
    assert rollup.rebuild() == len(expected)
    assert rollup.differences() == []


def test_posting_keeps_promise_and_reminder_facts(facts, check_rollup):
    """Posting recomputes only the cash facts (payments, promises, reminders): a payment that
    keeps a promise and answers a reminder moves all three."""
    from receivables import cash_application

    customer = facts["customers"][3]
    invoice = InvoiceFactory(customer=customer, issue_date=date(2026, 3, 1), amount=D(80))
    services.create_promise(
        invoice, promised_date=date(2026, 3, 10), amount=D(80), created_date=date(2026, 3, 2)
    )
    ActivityFactory(customer=customer, invoice=invoice, occurred_at=at(date(2026, 3, 3)))
    s = scope(date(2026, 3, 1), date(2026, 3, 31))
    kept_before = blocks.promise_keeping(s, [s.period])[(None, 1)]["kept"]
    paid_before = blocks.reminder_funnel(s, [s.period])[(None, 1)]["paid"]

    cash_application.post_payment(
        customer=customer, amount=D(80), received_date=date(2026, 3, 5), reference=invoice.number
    )
    check_rollup()
    assert blocks.promise_keeping(s, [s.period])[(None, 1)]["kept"] == kept_before + 1
    assert blocks.reminder_funnel(s, [s.period])[(None, 1)]["paid"] == paid_before + 1
    outcome = cash_application.post_batch(
        [{"customer": customer, "amount": D(5), "received_date": date(2026, 3, 6)}]
    )
    assert not outcome.rolled_back
    check_rollup()


def test_rest_opportunity_writes_move_the_pipeline(api, facts, check_rollup):
    """Generic REST writes (no service) reach the rollup through the model signals."""
    customer = facts["customers"][0]
    s = scope(date(2026, 2, 1), date(2026, 2, 28))
    before = blocks.pipeline(s, [s.period]).get((None, 1), {})
    created = api.post(
        "/api/v1/opportunities/",
        {"customer": customer.pk, "name": "Expansion", "amount": "700.00",
         "created_date": "2026-01-20"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    won = api.patch(
        f"/api/v1/opportunities/{created.json()['id']}/",
        {"stage": "won", "closed_date": "2026-02-09"},
        format="json",
    )
    assert won.status_code == 200, won.json()
    check_rollup()
    after = blocks.pipeline(s, [s.period])[(None, 1)]
    assert after["won"] == before.get("won", 0) + 1
    assert after["won_amount"] == (before.get("won_amount") or 0) + D("700.00")
    assert after["won_days"] == (before.get("won_days") or 0) + 20


def test_rest_and_admin_deal_writes_keep_the_rollup(facts, check_rollup, api, admin_client):
    """REST and the admin write deals through `accounts.services`: no model signal is left
    to tell the rollup, so a write past the service would leave it wrong."""
    customer = facts["customers"][0]
    created = api.post(
        "/api/v1/opportunities/",
        {
            "customer": customer.pk,
            "name": "Renewal",
            "amount": "500.00",
            "currency": "USD",
            "created_date": "2026-01-05",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    check_rollup()
    pk = created.json()["id"]
    won = api.patch(
        f"/api/v1/opportunities/{pk}/",
        {"stage": "won", "closed_date": "2026-02-01"},
        format="json",
    )
    assert won.status_code == 200, won.json()
    check_rollup()
    opportunity = Opportunity.objects.get(pk=pk)
    response = post_form(
        admin_client,
        admin_url(Opportunity, "change", pk),
        {
            "customer": customer.pk,
            "rep": opportunity.rep_id,
            "name": "Renewal",
            "amount": "750.00",
            "currency": "USD",
            "stage": "lost",
            "created_date": "2026-01-05",
            "closed_date": "2026-02-03",
        },
    )
    assert form_errors(response) == {}
    assert Opportunity.objects.get(pk=pk).stage == "lost"
    check_rollup()
    admin_client.post(admin_url(Opportunity, "delete", pk), {"post": "yes"})
    assert not Opportunity.objects.filter(pk=pk).exists()
    check_rollup()


def test_added_outside_tracking_is_refused(db):
    with pytest.raises(RuntimeError):
        rollup.added(invoices={1})


def test_currencies_present_from_the_rollup_equal_the_source(facts):
    """`engine.currencies` reads the rollup's invoice counts; the source rows agree."""
    for s in [*scopes(facts), scope(START, END, customer=facts["customers"][0].pk)]:
        for end in (START, date(2026, 2, 15), END):
            narrowed = replace(s, end=end)
            fast = engine.currencies(narrowed)
            original = sums.rollup_answers
            sums.rollup_answers = lambda *args, **kwargs: False
            try:
                assert fast == engine.currencies(narrowed), narrowed
            finally:
                sums.rollup_answers = original


def test_product_lines_are_those_of_counting_invoices_in_every_currency():
    usd, eur = CustomerFactory(currency="USD"), CustomerFactory(currency="EUR")
    InvoiceFactory(customer=usd, product_line="Services")
    InvoiceFactory(customer=eur, product_line="Hardware")
    InvoiceFactory(customer=usd, product_line="Services")
    InvoiceFactory(customer=usd, product_line="")
    InvoiceFactory(customer=usd, product_line="Drafts only", status="draft")
    services.void_invoice(InvoiceFactory(customer=eur, product_line="Voided"))

    assert engine.product_lines() == ("Hardware", "Services")


@pytest.mark.postgres
def test_the_set_based_upsert_adds_what_the_upsert_per_key_adds(db):
    """PostgreSQL upserts the rollup in one statement, SQLite one key at a time: on
    PostgreSQL both add the same amounts, to a new key and to a stored one."""
    columns = (*rollup.KEY_COLUMNS, "ar_invoiced", "ar_applied", "invoices_issued")
    stored_key = (date(2026, 1, 5), 7, 3, "services", "USD")
    new_key = (date(2026, 1, 6), 7, 3, "services", "USD")
    KPIRollup.objects.create(
        **dict(zip(rollup.KEY_COLUMNS, stored_key, strict=True)),
        ar_invoiced=D("100.00"),
        invoices_issued=2,
    )
    deltas = {
        stored_key: {"ar_invoiced": D("-30.10"), "ar_applied": D("30.10")},
        new_key: {"ar_invoiced": D("12.34"), "invoices_issued": 1},
    }
    rows = [
        (*key, *(values.get(m, 0) for m in rollup.MEASURES))
        for key, values in sorted(deltas.items())
    ]

    def stored():
        return sorted(KPIRollup.objects.values_list(*columns))

    rollup._upsert_each(rows)
    after_each = stored()
    rollup._upsert_set(rows)
    assert after_each == [
        (*stored_key, D("69.90"), D("30.10"), 2),
        (*new_key, D("12.34"), D("0.00"), 1),
    ]
    assert stored() == [
        (*stored_key, D("39.80"), D("60.20"), 2),
        (*new_key, D("24.68"), D("0.00"), 2),
    ]
