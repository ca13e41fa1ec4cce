"""REST and GraphQL of the playbook and credit holds: same codes, same numbers."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dunning import queries, services
from dunning.models import CreditHold, CreditHoldOverride, MessageTemplate
from metrics import engine
from metrics.scope import build_scope
from receivables import services as receivables_services
from receivables.models import CollectionActivity, Order
from tests.factories import CustomerFactory, InvoiceFactory, PaymentFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()

CREATE_ORDER = """
mutation($data: OrderInput!) {
  createOrder(data: $data) {
    ... on OrderType { id number }
    ... on OperationInfo { messages { kind field code message } }
  }
}
"""


@pytest.fixture
def held(acme):
    due = TODAY - timedelta(days=61)
    InvoiceFactory(customer=acme, number="OLD-1", issue_date=due - timedelta(days=30), due_date=due)
    services.evaluate_credit_holds()
    return CreditHold.objects.get(customer=acme)


def _order(acme, **extra):
    return {
        "customer": acme.pk,
        "number": "SO-9",
        "order_date": TODAY.isoformat(),
        "amount": "10.00",
        **extra,
    }


def test_rest_refuses_an_order_for_a_customer_on_hold_with_409_and_the_reasons(
    make_client, acme, held
):
    response = make_client("integration").post("/api/v1/orders/", _order(acme), format="json")

    assert response.status_code == 409
    assert response.json() == {
        "errors": [
            {
                "code": "customer_on_credit_hold",
                "field": None,
                "message": f"Acme Corp is on credit hold since {held.placed_at:%Y-%m-%d}: 1 "
                "invoice more than 60 days past due (the oldest 61 days). An admin may "
                "override the hold for this order.",
                "credit_hold": held.pk,
                "reasons": ["overdue_invoice"],
            }
        ]
    }
    assert Order.objects.count() == 0


def test_graphql_refuses_it_with_the_same_code(gql, acme, held):
    data = {"customer": acme.pk, "number": "SO-9", "orderDate": TODAY.isoformat(), "amount": "10"}
    answer = gql(CREATE_ORDER, {"data": data}, role="integration")

    [message] = answer["data"]["createOrder"]["messages"]
    assert (message["kind"], message["code"]) == ("VALIDATION", "customer_on_credit_hold")
    assert Order.objects.count() == 0


def test_only_an_admin_overrides_on_both_apis(make_client, gql, acme, held):
    body = _order(acme, credit_hold_override_reason="Prepaid.")
    rest = make_client("integration").post("/api/v1/orders/", body, format="json")
    data = {
        "customer": acme.pk,
        "number": "SO-9",
        "orderDate": TODAY.isoformat(),
        "amount": "10",
        "creditHoldOverrideReason": "Prepaid.",
    }
    graphql = gql(CREATE_ORDER, {"data": data}, role="integration")

    assert rest.status_code == 403
    assert rest.json()["errors"][0]["code"] == "permission_denied"
    assert graphql["errors"][0]["extensions"]["code"] == "permission_denied"
    assert (Order.objects.count(), CreditHoldOverride.objects.count()) == (0, 0)


def test_an_admin_override_is_recorded_and_shown_in_the_holds_history(api, gql, acme, held):
    response = api.post(
        "/api/v1/orders/",
        _order(acme, credit_hold_override_reason="Prepaid by wire."),
        format="json",
    )
    assert response.status_code == 201, response.content
    empty = api.post(
        "/api/v1/orders/",
        _order(acme, number="SO-10", credit_hold_override_reason=" "),
        format="json",
    )
    assert empty.status_code == 400
    assert empty.json()["errors"][0]["code"] == "override_reason_required"

    hold = api.get(f"/api/v1/credit-holds/?customer={acme.pk}&current=true").json()["results"]
    assert len(hold) == 1
    assert hold[0]["overrides"] == [
        {
            "order": response.json()["id"],
            "user": "admin-user",
            "reason": "Prepaid by wire.",
            "created_at": hold[0]["overrides"][0]["created_at"],
        }
    ]
    assert [(r["code"], r["cleared_at"]) for r in hold[0]["reasons"]] == [("overdue_invoice", None)]
    graphql = gql(
        "query($c: ID) { creditHolds(filters: {customer: $c, current: true}) { totalCount "
        "results { id current reasons { code detail } overrides { orderId user reason } } } }",
        {"c": acme.pk},
    )["data"]["creditHolds"]
    assert graphql["totalCount"] == 1
    assert graphql["results"][0]["reasons"] == [
        {"code": r["code"], "detail": r["detail"]} for r in hold[0]["reasons"]
    ]
    assert graphql["results"][0]["overrides"] == [
        {"orderId": str(response.json()["id"]), "user": "admin-user", "reason": "Prepaid by wire."}
    ]


def test_place_and_lift_by_hand_on_rest_and_the_history(make_client, api, acme):
    assert (
        make_client("collector")
        .post("/api/v1/credit-holds/", {"customer": acme.pk}, format="json")
        .status_code
        == 403
    )
    placed = api.post(
        "/api/v1/credit-holds/", {"customer": acme.pk, "note": "Audit."}, format="json"
    )
    assert placed.status_code == 201
    assert (placed.json()["automatic"], placed.json()["current"], placed.json()["placed_by"]) == (
        False,
        True,
        "admin-user",
    )
    again = api.post("/api/v1/credit-holds/", {"customer": acme.pk}, format="json")
    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == "credit_hold_unchanged"

    lifted = api.post(f"/api/v1/credit-holds/{placed.json()['id']}/lift/", {"note": "Done."})
    assert lifted.status_code == 200
    assert (lifted.json()["current"], lifted.json()["lift_note"]) == (False, "Done.")
    acme.refresh_from_db()
    assert acme.on_credit_hold is False
    twice = api.post(f"/api/v1/credit-holds/{placed.json()['id']}/lift/", {})
    assert twice.json()["errors"][0]["code"] == "credit_hold_unchanged"
    history = api.get(f"/api/v1/credit-holds/?customer={acme.pk}").json()
    assert history["count"] == 1


def test_graphql_place_and_lift(gql, acme):
    placed = gql(
        'mutation($c: ID!) { placeCreditHold(customer: $c, note: "Audit.") { '
        "... on CreditHoldType { id current automatic placedBy } "
        "... on OperationInfo { messages { code } } } }",
        {"c": acme.pk},
    )["data"]["placeCreditHold"]
    assert placed["current"] is True
    assert placed["automatic"] is False
    again = gql(
        "mutation($c: ID!) { placeCreditHold(customer: $c) { "
        "... on OperationInfo { messages { code } } } }",
        {"c": acme.pk},
    )["data"]["placeCreditHold"]
    assert again == {"messages": [{"code": "credit_hold_unchanged"}]}
    lifted = gql(
        "mutation($id: ID!) { liftCreditHold(id: $id) { ... on CreditHoldType { current } } }",
        {"id": placed["id"]},
    )["data"]["liftCreditHold"]
    assert lifted == {"current": False}


def test_an_unknown_merge_field_is_refused_on_both_apis(api, gql):
    body = {"code": "x", "name": "X", "body": "Dear {{ customer }}"}
    rest = api.post("/api/v1/message-templates/", body, format="json")
    graphql = gql(
        'mutation { createMessageTemplate(data: {code: "x", name: "X", '
        'body: "Dear {{ customer }}"}) { ... on OperationInfo { messages { field code } } } }'
    )["data"]["createMessageTemplate"]

    assert rest.status_code == 400
    assert [(e["field"], e["code"]) for e in rest.json()["errors"]] == [
        ("body", "unknown_merge_field")
    ]
    assert graphql == {"messages": [{"field": "body", "code": "unknown_merge_field"}]}
    assert not MessageTemplate.objects.filter(code="x").exists()
    ok = api.post(
        "/api/v1/message-templates/",
        {"code": "x", "name": "X", "body": "Dear {{ customer_name }}"},
        format="json",
    )
    assert ok.status_code == 201
    assert ok.json()["merge_fields"] == ["customer_name"]


def test_funnel_per_step_and_template_on_both_apis_and_as_the_kpi(api, gql, acme):
    invoices = [
        InvoiceFactory(customer=acme, issue_date=date(2026, 3, 1), amount=Decimal("10"))
        for _ in range(4)
    ]
    services.run_playbook(as_of=date(2026, 4, 1))
    # The first invoice is paid on 04-06 (5 days after), the second clicked, others nothing.
    payment = PaymentFactory(customer=acme, amount=Decimal("10"), received_date=date(2026, 4, 6))
    receivables_services.apply_payment(payment, invoices[0], Decimal("10"))
    reminder = CollectionActivity.objects.get(invoice=invoices[1])
    receivables_services.update_activity(
        reminder, clicked_at=reminder.occurred_at + timedelta(hours=2)
    )
    expected: dict[str, dict] = {}
    for i, invoice in enumerate(invoices):
        side = "challenger" if queries.is_challenger(invoice.pk) else "champion"
        row = expected.setdefault(side, {"sent": 0, "clicked": 0, "paid": 0})
        row["sent"] += 1
        row["clicked"] += i == 1
        row["paid"] += i == 0

    params = {"start": "2026-04-01", "end": "2026-04-30", "currency": "USD"}
    rest = api.get("/api/v1/playbook-funnel/", params).json()
    graphql = gql(
        '{ playbookFunnel(start: "2026-04-01", end: "2026-04-30", currency: "USD") '
        "{ step template variant sent clicked paid conversionRate } }"
    )["data"]["playbookFunnel"]

    assert {r["variant"]: {k: r[k] for k in ("sent", "clicked", "paid")} for r in rest} == expected
    assert [
        {
            "step": r["step"],
            "template": r["template"],
            "variant": r["variant"],
            "sent": r["sent"],
            "clicked": r["clicked"],
            "paid": r["paid"],
            "conversionRate": r["conversion_rate"],
        }
        for r in rest
    ] == graphql
    assert {r["step"] for r in rest} == {"first-overdue"}
    kpi = engine.reminder_funnel(build_scope(start="2026-04-01", end="2026-04-30"))
    assert (kpi.sent, kpi.clicked, kpi.paid) == (4, 1, 1)


def test_promise_reliability_hand_worked_on_both_apis(api, gql, acme):
    invoice = InvoiceFactory(customer=acme, issue_date=date(2026, 1, 1), amount=Decimal("300"))
    # Kept: 100 promised by 02-10, paid 02-08 (0 days late).
    receivables_services.create_promise(
        invoice, promised_date=date(2026, 2, 10), amount=Decimal("100"),
        created_date=date(2026, 2, 1),
    )  # fmt: skip
    payment = PaymentFactory(customer=acme, amount=Decimal("100"), received_date=date(2026, 2, 8))
    receivables_services.apply_payment(
        payment, invoice, Decimal("100"), applied_date=date(2026, 2, 8)
    )
    # Broken: 50 promised by 02-20 (made 02-15), paid 03-01: 9 days late.
    receivables_services.create_promise(
        invoice, promised_date=date(2026, 2, 20), amount=Decimal("50"),
        created_date=date(2026, 2, 15),
    )  # fmt: skip
    late = PaymentFactory(customer=acme, amount=Decimal("50"), received_date=date(2026, 3, 1))
    receivables_services.apply_payment(late, invoice, Decimal("50"), applied_date=date(2026, 3, 1))
    # Broken, never paid since: 20 promised by 03-10 (made 03-05).
    receivables_services.create_promise(
        invoice, promised_date=date(2026, 3, 10), amount=Decimal("20"),
        created_date=date(2026, 3, 5),
    )  # fmt: skip
    receivables_services.refresh_promise_statuses(as_of=date(2026, 3, 31))

    rest = api.get(
        "/api/v1/promise-reliability/", {"start": "2026-01-01", "end": "2026-03-31"}
    ).json()
    graphql = gql(
        '{ promiseReliability(start: "2026-01-01", end: "2026-03-31") { customer '
        "customerName promises kept broken open keptRate paid averageDaysLate } }"
    )["data"]["promiseReliability"]

    assert rest == [
        {
            "customer": acme.pk,
            "customer_name": "Acme Corp",
            "promises": 3,
            "kept": 1,
            "broken": 2,
            "open": 0,
            "kept_rate": "33.33",
            "paid": 2,  # the third: no cash since 03-05
            "average_days_late": "4.50",  # (0 + 9) / 2
        }
    ]
    assert graphql == [
        {
            "customer": str(acme.pk),
            "customerName": "Acme Corp",
            "promises": 3,
            "kept": 1,
            "broken": 2,
            "open": 0,
            "keptRate": "33.33",
            "paid": 2,
            "averageDaysLate": "4.50",
        }
    ]
    bad = api.get("/api/v1/promise-reliability/", {"limit": "0"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["code"] == "invalid_limit"


@pytest.mark.parametrize("size", [2, 6])
def test_credit_hold_list_costs_the_same_queries_at_any_size(api, size):
    for i in range(size):
        customer = CustomerFactory(name=f"C{i}")
        services.place_hold(customer, note="x")
    with CaptureQueriesContext(connection) as captured:
        response = api.get("/api/v1/credit-holds/")
    assert response.json()["count"] == size
    # auth (token, user's permissions), count, page, reasons, overrides
    assert len(captured.captured_queries) == 6


def test_graphql_credit_holds_cost_the_same_queries_at_any_size(gql):
    query = (
        "{ creditHolds { totalCount results { id customerName current placedBy "
        "reasons { code detail } overrides { orderId user } } } }"
    )
    counts = []
    for size in (2, 6):
        while CreditHold.objects.count() < size:
            services.place_hold(CustomerFactory(), note="x")
        gql(query)  # warm the client (token, permissions)
        with CaptureQueriesContext(connection) as captured:
            answer = gql(query)
        assert answer["data"]["creditHolds"]["totalCount"] == size
        counts.append(len(captured.captured_queries))
    # token, count, page, reasons, overrides (+ their users), whatever the number of holds
    assert counts[0] == counts[1] <= 7


def test_moving_an_order_to_a_customer_on_hold_is_refused_on_rest(api, acme, held):
    # GraphQL has no updateOrder; the admin's change form is tests/dunning/test_admin.py.
    other = CustomerFactory(name="Fine", currency="USD")
    order = receivables_services.create_order(
        customer=other, number="SO-M", order_date=TODAY, amount=Decimal("10.00")
    )

    rest = api.patch(f"/api/v1/orders/{order.pk}/", {"customer": acme.pk}, format="json")

    assert rest.status_code == 409
    assert rest.json()["errors"][0]["code"] == "customer_on_credit_hold"
    order.refresh_from_db()
    assert order.customer_id == other.pk
    other_change = api.patch(f"/api/v1/orders/{order.pk}/", {"amount": "12.00"}, format="json")
    assert other_change.json()["amount"] == "12.00"  # other changes are not refused


def test_funnel_counts_paid_within_7_days_per_step(api, acme):
    a, b = (
        InvoiceFactory(customer=acme, number=n, issue_date=date(2026, 3, 1), amount=Decimal("10"))
        for n in ("F-A", "F-B")
    )  # both due 2026-03-31
    for day in (date(2026, 3, 24), date(2026, 3, 31), date(2026, 4, 1)):
        services.run_playbook(as_of=day)
    for invoice, paid_on in ((a, date(2026, 4, 8)), (b, date(2026, 4, 9))):
        payment = PaymentFactory(customer=acme, amount=Decimal("10"), received_date=paid_on)
        receivables_services.apply_payment(payment, invoice, Decimal("10"))

    rows = api.get(
        "/api/v1/playbook-funnel/", {"start": "2026-03-01", "end": "2026-04-30", "currency": "USD"}
    ).json()

    # A is paid 7 days after its first-overdue reminder (counted), B 8 days after (not); both
    # more than 7 days after the earlier steps' reminders.
    first_overdue: dict[str, list[int]] = {}
    for invoice, paid in ((a, 1), (b, 0)):
        side = "challenger" if queries.is_challenger(invoice.pk) else "champion"
        first_overdue.setdefault(side, [0, 0])
        first_overdue[side][0] += 1
        first_overdue[side][1] += paid
    template = {"champion": "first-overdue", "challenger": "first-overdue-short"}
    expected = [
        ("before-due", "before-due", "champion", 2, 0),
        ("due-date", "due-today", "champion", 2, 0),
    ] + [
        ("first-overdue", template[side], side, sent, paid)
        for side, (sent, paid) in sorted(
            first_overdue.items(), key=lambda item: item[0] != "champion"
        )
    ]
    assert [
        (r["step"], r["template"], r["variant"], r["sent"], r["paid"]) for r in rows
    ] == expected


def test_funnel_lists_the_champion_before_the_challenger(api, acme):
    invoices = [
        InvoiceFactory(customer=acme, issue_date=date(2026, 3, 1), amount=Decimal("10"))
        for _ in range(6)
    ]
    assert {queries.is_challenger(invoice.pk) for invoice in invoices} == {True, False}
    services.run_playbook(as_of=date(2026, 4, 1))

    rows = api.get(
        "/api/v1/playbook-funnel/", {"start": "2026-04-01", "end": "2026-04-30", "currency": "USD"}
    ).json()

    assert [(r["variant"], r["template"]) for r in rows] == [
        ("champion", "first-overdue"),
        ("challenger", "first-overdue-short"),
    ]


def test_an_admin_override_on_graphql_books_the_order_and_records_who_and_why(gql, acme, held):
    data = {
        "customer": acme.pk,
        "number": "SO-G",
        "orderDate": TODAY.isoformat(),
        "amount": "10",
        "creditHoldOverrideReason": " Prepaid by wire. ",
    }

    answer = gql(CREATE_ORDER, {"data": data})

    assert answer["data"]["createOrder"]["number"] == "SO-G"
    override = CreditHoldOverride.objects.get()
    assert (override.order.number, override.user.username, override.reason, override.hold) == (
        "SO-G",
        "admin-user",
        "Prepaid by wire.",
        held,
    )


def _grow_playbook(acme, size):
    """`size` playbook actions (one per invoice), templates, steps with `size` channel rules,
    and `size` customers with a promise each."""
    from dunning.models import ChannelRule, PlaybookAction, PlaybookStep

    step = PlaybookStep.objects.get(code="first-overdue")
    while ChannelRule.objects.count() < size:
        ChannelRule.objects.create(step=step, position=ChannelRule.objects.count(), channel="sms")
    while MessageTemplate.objects.count() < 6 + size:
        services.save_template(
            code=f"t-{MessageTemplate.objects.count()}", name="T", body="{{ customer_name }}"
        )
    while PlaybookAction.objects.count() < size:
        customer = CustomerFactory()
        invoice = InvoiceFactory(
            customer=customer, issue_date=date(2026, 3, 1), amount=Decimal("10")
        )
        receivables_services.create_promise(
            invoice, promised_date=date(2026, 3, 20), amount=Decimal("5"),
            created_date=date(2026, 3, 10),
        )  # fmt: skip
        services.run_playbook(as_of=date(2026, 4, 1))


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/playbook-actions/",
        "/api/v1/playbook-steps/",
        "/api/v1/message-templates/",
        "/api/v1/credit-hold-rules/",
        "/api/v1/promise-reliability/?start=2026-01-01&end=2026-12-31",
        "/api/v1/playbook-funnel/?start=2026-04-01&end=2026-04-30&currency=USD",
    ],
)
def test_dunning_lists_cost_the_same_queries_at_two_sizes(api, acme, url):
    counts = []
    for size in (2, 6):
        _grow_playbook(acme, size)
        api.get(url)  # warm the client (token, permissions)
        with CaptureQueriesContext(connection) as captured:
            response = api.get(url)
        assert response.status_code == 200, response.content
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    "query",
    [
        "{ playbookActions { totalCount results { id invoiceId variant channel step { code } "
        "template { code } } } }",
        "{ playbookSteps { totalCount results { code template { code } challengerTemplate "
        "{ code } channelRules { channel segmentId } } } }",
        "{ messageTemplates { totalCount results { code mergeFields } } }",
        '{ promiseReliability(start: "2026-01-01", end: "2026-12-31") { customer broken } }',
    ],
)
def test_graphql_dunning_lists_cost_the_same_queries_at_two_sizes(gql, acme, query):
    counts = []
    for size in (2, 6):
        _grow_playbook(acme, size)
        gql(query)  # warm the client (token, permissions)
        with CaptureQueriesContext(connection) as captured:
            answer = gql(query)
        assert "errors" not in answer, answer
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
