"""Reports of a user limited to their own customers (accounts.scoping): the KPI engine narrows
every report to those customers, with the same numbers as the same report computed over
exactly those customers, from the source rows (the KPI rollup has no customer key)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import CustomerAssignment
from accounts.scoping import SCOPED_GROUP
from metrics import engine, sums
from metrics.definitions import KEYS, KPIS
from metrics.scope import build_scope
from receivables import services
from tests.factories import (
    ActivityFactory,
    CustomerFactory,
    InvoiceFactory,
    OpportunityFactory,
    OrderFactory,
    SalesRepFactory,
    SegmentFactory,
    UserFactory,
)
from tests.metrics.conftest import D, pay

pytestmark = pytest.mark.django_db

JAN_TO_APRIL = (date(2026, 1, 1), date(2026, 4, 30))
APRIL = (date(2026, 4, 1), date(2026, 4, 30))


def at(d: date, hour: int = 10) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=UTC)


def scoped_user(username: str = "rep-scoped"):
    user = UserFactory(username=username, role="collector")
    user.groups.add(Group.objects.get(name=SCOPED_GROUP))
    return user


def book(customer, n: int) -> None:
    """A customer's year so far, every KPI fact in it (amounts vary with n): invoices with
    orders (paid early, paid late, part paid, open and past due, void), automatic and manual
    payments, a credit note, a dispute opened and resolved, a kept and a broken promise,
    reminders (one clicked, one followed by cash), opportunities won, lost and open."""
    invoices = []
    for i in range(6):
        issue = date(2026, 1, 5) + timedelta(days=19 * i + n)
        order = OrderFactory(customer=customer, order_date=issue - timedelta(days=1 + i + n))
        invoices.append(
            InvoiceFactory(
                customer=customer,
                order=order,
                issue_date=issue,
                due_date=issue + timedelta(days=30),
                amount=D(100 * n + 10 * i),
                product_line=("hw", "sw")[i % 2],
            )
        )
    first, second, third, fourth, fifth, sixth = invoices
    pay(first, 100 * n, first.issue_date + timedelta(days=20), automatic=True)
    pay(second, 100 * n + 10, second.issue_date + timedelta(days=45))
    pay(third, 50, third.issue_date + timedelta(days=10))
    services.add_adjustment(
        fourth, kind="credit_note", amount=D(5 * n), adjustment_date=fourth.issue_date
    )
    dispute = services.open_dispute(
        fifth, reason="pricing", amount=D(10), opened_date=fifth.issue_date + timedelta(days=3)
    )
    services.resolve_dispute(
        dispute, resolution="upheld", resolved_date=fifth.issue_date + timedelta(days=3 + 4 * n)
    )
    services.create_promise(
        third,
        promised_date=third.issue_date + timedelta(days=40),
        amount=D(20),
        created_date=third.issue_date + timedelta(days=35),
    )
    pay(third, 20, third.issue_date + timedelta(days=39))
    services.create_promise(
        sixth,
        promised_date=sixth.issue_date + timedelta(days=10),
        amount=D(30),
        created_date=sixth.issue_date + timedelta(days=2),
    )
    ActivityFactory(customer=customer, invoice=second, occurred_at=at(second.due_date))
    ActivityFactory(
        customer=customer,
        invoice=second,
        occurred_at=at(second.due_date + timedelta(days=10)),
        clicked_at=at(second.due_date + timedelta(days=11)),
    )
    ActivityFactory(customer=customer, invoice=fifth, occurred_at=at(fifth.due_date))
    services.void_invoice(InvoiceFactory(customer=customer, issue_date=date(2026, 2, 2)))
    OpportunityFactory(
        customer=customer,
        created_date=date(2026, 1, 10),
        stage="won",
        closed_date=date(2026, 3, 1 + n),
        amount=D(1000 * n),
    )
    OpportunityFactory(
        customer=customer, created_date=date(2026, 2, 1), stage="lost", closed_date=date(2026, 4, 2)
    )
    OpportunityFactory(customer=customer, created_date=date(2026, 4, 3 + n))


def reports(start: date, end: date, user=None) -> dict:
    """Every report of the engine over the period, as comparable values (no scope object)."""
    scope = build_scope(start=start, end=end, user=user)
    summary = engine.summary(scope)
    result = {
        "kpis": summary.kpis,
        "changes": summary.changes,
        "currencies": summary.currencies,
        "series": [s.points for s in engine.many_series(KEYS, scope, "month")],
        "aging": [
            (a.total, a.buckets, a.currencies)
            for a in (engine.aging(scope, d) for d in (date(2026, 2, 28), end))
        ],
        "funnel": engine.reminder_funnel(scope),
        "time_to_invoice": engine.time_to_invoice(scope),
    }
    for key in KEYS:
        for group_by in KPIS[key].group_bys:
            breakdown = engine.breakdown(key, scope, group_by, limit=50)
            result[f"{key} by {group_by}"] = (breakdown.count, breakdown.rows)
    for name in ("funnel", "time_to_invoice"):
        result[name] = {k: v for k, v in vars(result[name]).items() if k != "scope"}
    return result


@pytest.fixture
def world():
    """A scoped user with two customers (one in their rep's book, one assigned), each with a
    year of facts; another rep and segment for the customer that is not theirs."""
    user = scoped_user()
    segments = [SegmentFactory(name="Retail"), SegmentFactory(name="Wholesale")]
    theirs_rep = SalesRepFactory(name="Theirs")
    mine = SalesRepFactory(name="Mine", user=user)
    in_book = CustomerFactory(name="In book", rep=mine, segment=segments[0])
    assigned = CustomerFactory(name="Assigned", rep=theirs_rep, segment=segments[1])
    CustomerAssignment.objects.create(user=user, customer=assigned)
    book(in_book, 1)
    book(assigned, 2)
    return {"user": user, "in_book": in_book, "assigned": assigned, "rep": theirs_rep}


def test_a_scoped_users_reports_equal_the_reports_over_exactly_their_customers(world):
    # Given every report over a ledger that holds only the user's two customers,
    expected = reports(*JAN_TO_APRIL)
    assert expected["kpis"]["ar_balance"].value > 0
    assert expected["funnel"]["sent"] == 6
    # when another customer's year is added,
    other = CustomerFactory(name="Not theirs", rep=world["rep"], segment=world["in_book"].segment)
    book(other, 3)

    # the scoped user's reports are unchanged (the source rows of their customers), and the
    # unscoped reports are not (the rollup, with the other customer).
    assert reports(*JAN_TO_APRIL, user=world["user"]) == expected
    assert reports(*JAN_TO_APRIL) != expected


def test_a_scoped_users_summary_of_one_customer_equals_the_customer_filter(world):
    user = scoped_user("one-customer")
    CustomerAssignment.objects.create(user=user, customer=world["assigned"])
    scope = build_scope(start=APRIL[0], end=APRIL[1], user=user)
    filtered = build_scope(start=APRIL[0], end=APRIL[1], customer=world["assigned"].pk)

    narrowed = engine.summary(scope)
    by_filter = engine.summary(filtered)

    assert narrowed.kpis == by_filter.kpis
    assert narrowed.changes == by_filter.changes
    assert scope.customers_of == user.pk
    assert filtered.customers_of is None


def test_two_customers_of_three_hand_worked():
    """April 2026. Mine (rep's book): 1,000 issued 1 Apr due 1 May. Assigned: 500 issued
    10 Apr due 20 Apr, 200 of it applied 15 Apr. Other: 9,000 issued 2 Apr due 2 May, and
    4,000 issued 1 Mar due 31 Mar, unpaid.
    Scoped: AR(30 Apr) = 1,000 + 300 = 1,300; current AR = 1,000 (the 300 is past due);
    credit sales 1,500; collected 200; DSO = 1,300 / 1,500 × 30 = 26; best possible DSO =
    1,000 / 1,500 × 30 = 20. Unscoped: AR 14,300, credit sales 10,500."""
    user = scoped_user()
    mine = CustomerFactory(rep=SalesRepFactory(user=user))
    assigned = CustomerFactory()
    CustomerAssignment.objects.create(user=user, customer=assigned)
    other = CustomerFactory()
    InvoiceFactory(
        customer=mine, issue_date=date(2026, 4, 1), due_date=date(2026, 5, 1), amount=D(1000)
    )
    part = InvoiceFactory(
        customer=assigned, issue_date=date(2026, 4, 10), due_date=date(2026, 4, 20), amount=D(500)
    )
    pay(part, 200, date(2026, 4, 15))
    InvoiceFactory(
        customer=other, issue_date=date(2026, 4, 2), due_date=date(2026, 5, 2), amount=D(9000)
    )
    InvoiceFactory(
        customer=other, issue_date=date(2026, 3, 1), due_date=date(2026, 3, 31), amount=D(4000)
    )

    scoped = engine.summary(build_scope(start=APRIL[0], end=APRIL[1], user=user)).kpis
    everyone = engine.summary(build_scope(start=APRIL[0], end=APRIL[1])).kpis

    assert {key: scoped[key].value for key in ("ar_balance", "current_ar", "past_due_ar")} == {
        "ar_balance": D("1300.00"),
        "current_ar": D("1000.00"),
        "past_due_ar": D("300.00"),
    }
    assert (scoped["credit_sales"].value, scoped["collected"].value) == (D("1500.00"), D("200.00"))
    assert scoped["dso"].value == D(26)
    assert scoped["best_possible_dso"].value == D(20)
    assert scoped["ar_balance"].previous == D(0)
    assert (everyone["ar_balance"].value, everyone["credit_sales"].value) == (
        D("14300.00"),
        D("10500.00"),
    )
    aging = engine.aging(build_scope(start=APRIL[1], end=APRIL[1], user=user))
    assert {b.bucket: b.amount for b in aging.buckets if b.amount} == {
        "current": D("1000.00"),
        "1_30": D("300.00"),
    }
    by_customer = engine.breakdown(
        "ar_balance", build_scope(start=APRIL[0], end=APRIL[1], user=user), "customer"
    )
    assert [(row.group_id, row.value) for row in by_customer.rows] == [
        (mine.pk, D("1000.00")),
        (assigned.pk, D("300.00")),
    ]


def test_a_scoped_scope_never_reads_the_rollup(world):
    scope = build_scope(start=APRIL[0], end=APRIL[1], user=world["user"])

    assert not sums.rollup_answers(scope, None)
    assert sums.kpi_projection(scope, None) is None
    with pytest.raises(ValueError, match="cannot answer"):
        sums.fact_sums(scope, [APRIL[0], APRIL[1]], None, ("Invoices",), path="kpi_rollup",
                         issued="invoices_issued")  # fmt: skip


def test_another_customer_is_unknown_to_a_scoped_user(world):
    other = CustomerFactory(name="Not theirs")

    with pytest.raises(ValidationError) as refused:
        build_scope(customer=other.pk, user=world["user"])

    assert refused.value.message_dict == {"customer": [f"There is no customer with id {other.pk}."]}
    assert build_scope(customer=world["assigned"].pk, user=world["user"]).customer == (
        world["assigned"].pk
    )
    assert build_scope(customer=other.pk).customer == other.pk


def test_an_unscoped_users_scope_holds_every_customer(world):
    viewer = UserFactory(username="viewer-all", role="viewer")

    assert build_scope(user=viewer).customers_of is None


def summary_queries(scope) -> int:
    with CaptureQueriesContext(connection) as ctx:
        engine.summary(scope)
    return len(ctx.captured_queries)


def test_a_scoped_summary_costs_the_same_queries_as_a_customer_summary(world):
    scope = build_scope(start=APRIL[0], end=APRIL[1], user=world["user"])
    one_customer = build_scope(start=APRIL[0], end=APRIL[1], customer=world["assigned"].pk)
    small = summary_queries(scope)
    book(CustomerFactory(rep=world["in_book"].rep), 4)
    CustomerAssignment.objects.create(user=world["user"], customer=CustomerFactory())

    assert summary_queries(scope) == small == summary_queries(one_customer)
