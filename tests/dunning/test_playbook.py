from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError

from dunning import queries, services
from dunning.models import ChannelRule, PaymentLink, PlaybookAction, PlaybookStep
from receivables import services as receivables_services
from receivables.models import CollectionActivity
from tests.factories import CustomerFactory, InvoiceFactory, SegmentFactory

pytestmark = pytest.mark.django_db


def _actions():
    return list(
        PlaybookAction.objects.order_by("id").values_list(
            "invoice__number", "step__code", "channel", "template__code", "variant"
        )
    )


def test_seven_days_before_the_due_date_a_kind_reminder_is_created(invoice):
    PaymentLink.objects.create(customer=invoice.customer, url="https://pay.example.com/acme")

    run = services.run_playbook(as_of=date(2026, 3, 24))

    assert [entry.line() for entry in run.entries] == [
        "created email, template before-due (champion) for INV-1 (Acme Corp) at step before-due"
    ]
    activity = CollectionActivity.objects.get()
    assert (activity.kind, activity.invoice_id, activity.customer_id) == (
        "reminder",
        invoice.pk,
        invoice.customer_id,
    )
    assert activity.notes == (
        "A friendly reminder: invoice INV-1 is due on 31 March 2026\n\n"
        "Hello Acme Corp,\n\n"
        "This is a friendly reminder that invoice INV-1 for 1,250.00 USD is due on 31 March "
        "2026, in 7 days.\n\n"
        "If the payment is already on its way, thank you, and please ignore this message. "
        "To pay: https://pay.example.com/acme.\n\n"
        "Kind regards,\nThe accounts receivable team"
    )
    assert activity.occurred_at.date() == date(2026, 3, 24)
    assert activity.playbook_action.step.code == "before-due"


def test_never_twice_for_the_same_invoice_and_step(invoice):
    services.run_playbook(as_of=date(2026, 3, 24))
    again = services.run_playbook(as_of=date(2026, 3, 24))
    later_same_step = services.run_playbook(as_of=date(2026, 3, 30))

    assert again.entries == []
    assert later_same_step.entries == []
    assert CollectionActivity.objects.count() == 1
    assert _actions() == [("INV-1", "before-due", "email", "before-due", "champion")]


def test_the_database_refuses_a_second_action_for_an_invoice_and_step(invoice):
    services.run_playbook(as_of=date(2026, 3, 24))
    action = PlaybookAction.objects.get()
    other = receivables_services.create_activity(
        customer=invoice.customer,
        invoice=invoice,
        kind="reminder",
        occurred_at=action.activity.occurred_at,
    )
    with pytest.raises(IntegrityError):
        PlaybookAction.objects.create(
            invoice=invoice,
            step=action.step,
            template=action.template,
            variant="champion",
            channel="email",
            activity=other,
            as_of=date(2026, 3, 25),
        )


def test_each_step_on_its_day_with_its_channel_and_activity_kind(invoice):
    for day in (date(2026, 3, 24), date(2026, 3, 31), date(2026, 4, 1), date(2026, 4, 15),
                date(2026, 4, 30)):  # fmt: skip
        services.run_playbook(as_of=day)

    variant = "challenger" if queries.is_challenger(invoice.pk) else "champion"
    template = "first-overdue-short" if variant == "challenger" else "first-overdue"
    assert _actions() == [
        ("INV-1", "before-due", "email", "before-due", "champion"),
        ("INV-1", "due-date", "email", "due-today", "champion"),
        ("INV-1", "first-overdue", "email", template, variant),
        ("INV-1", "call-15", "call", "call-15", "champion"),
        ("INV-1", "escalation-30", "rep", "escalation-30", "champion"),
    ]
    assert list(
        CollectionActivity.objects.order_by("occurred_at").values_list("kind", flat=True)
    ) == ["reminder", "reminder", "reminder", "call", "note"]
    escalation = CollectionActivity.objects.get(kind="note")
    assert escalation.notes.startswith(
        "Your customer Acme Corp: invoice INV-1 is 30 days past due\n\nHello Ann Rep,\n\n"
    )


def test_missed_steps_are_not_sent_in_a_burst(invoice):
    run = services.run_playbook(as_of=date(2026, 4, 20))

    assert [(e.outcome, e.step) for e in run.entries] == [("created", "call-15")]
    assert _actions() == [("INV-1", "call-15", "call", "call-15", "champion")]


def test_open_disputes_and_promises_not_yet_due_are_skipped_and_said_so(acme, invoice):
    promised = InvoiceFactory(
        customer=acme, number="INV-2", issue_date=date(2026, 3, 1), amount=Decimal("80")
    )
    past_promise = InvoiceFactory(
        customer=acme, number="INV-3", issue_date=date(2026, 3, 1), amount=Decimal("90")
    )
    receivables_services.open_dispute(
        invoice, reason="pricing", amount=Decimal("50"), opened_date=date(2026, 3, 20)
    )
    receivables_services.create_promise(
        promised, promised_date=date(2026, 4, 5), amount=Decimal("80"),
        created_date=date(2026, 3, 28),
    )  # fmt: skip
    receivables_services.create_promise(
        past_promise, promised_date=date(2026, 3, 30), amount=Decimal("90"),
        created_date=date(2026, 3, 28),
    )  # fmt: skip

    run = services.run_playbook(as_of=date(2026, 4, 1))

    assert [entry.line() for entry in run.entries if entry.outcome == "skipped"] == [
        "skipped INV-1 (Acme Corp) at step first-overdue: an open dispute (open_dispute)",
        "skipped INV-2 (Acme Corp) at step first-overdue: a promise to pay not yet due "
        "(promise_not_yet_due)",
    ]
    assert [a[0] for a in _actions()] == ["INV-3"]
    assert CollectionActivity.objects.filter(invoice__number__in=["INV-1", "INV-2"]).count() == 0


def test_paid_draft_and_void_invoices_get_nothing(acme, invoice):
    InvoiceFactory(
        customer=acme, number="INV-D", issue_date=date(2026, 3, 1), amount=Decimal("5"),
        status="draft",
    )  # fmt: skip
    void = InvoiceFactory(
        customer=acme, number="INV-V", issue_date=date(2026, 3, 1), amount=Decimal("5")
    )
    receivables_services.void_invoice(void, date(2026, 3, 2))
    receivables_services.add_adjustment(
        invoice, kind="credit_note", amount=Decimal("1250"), adjustment_date=date(2026, 3, 10)
    )

    assert services.run_playbook(as_of=date(2026, 4, 1)).entries == []
    assert PlaybookAction.objects.count() == 0


def test_channel_rules_by_segment_then_amount_band_first_match_wins(acme, invoice):
    step = PlaybookStep.objects.get(code="due-date")
    smb = SegmentFactory(name="SMB", code="SMB")
    ChannelRule.objects.create(step=step, position=1, segment=smb, channel="sms")
    ChannelRule.objects.create(
        step=step, position=2, currency="USD", min_open_amount=Decimal("1000"), channel="call"
    )
    small = CustomerFactory(name="Small Co", segment=smb)
    InvoiceFactory(
        customer=small, number="INV-S", issue_date=date(2026, 3, 1), amount=Decimal("5000")
    )
    InvoiceFactory(
        customer=acme, number="INV-L", issue_date=date(2026, 3, 1), amount=Decimal("999.99")
    )
    InvoiceFactory(
        customer=acme, number="INV-E", issue_date=date(2026, 3, 1), amount=Decimal("2000"),
        currency="EUR",
    )  # fmt: skip

    services.run_playbook(as_of=date(2026, 3, 31))

    assert sorted((a[0], a[2]) for a in _actions()) == [
        ("INV-1", "call"),  # 1,250.00 USD: in the band
        ("INV-E", "email"),  # the band is in USD: 2,000 EUR is not compared with it
        ("INV-L", "email"),  # 999.99 USD: below the band
        ("INV-S", "sms"),  # the segment rule comes first, whatever the amount
    ]
    kinds = dict(CollectionActivity.objects.values_list("invoice__number", "kind"))
    assert kinds == {"INV-1": "call", "INV-E": "reminder", "INV-L": "reminder", "INV-S": "reminder"}


def test_champion_and_challenger_are_assigned_by_invoice_id(acme):
    invoices = [
        InvoiceFactory(customer=acme, issue_date=date(2026, 3, 1), amount=Decimal("10"))
        for _ in range(6)
    ]
    services.run_playbook(as_of=date(2026, 4, 1))
    variants = dict(PlaybookAction.objects.values_list("invoice_id", "variant"))
    expected = {i.pk: "challenger" if queries.is_challenger(i.pk) else "champion" for i in invoices}
    assert variants == expected
    assert queries.is_challenger(1) is True
    assert queries.is_challenger(4) is False
    templates = dict(PlaybookAction.objects.values_list("variant", "template__code"))
    assert templates.get("challenger", "first-overdue-short") == "first-overdue-short"
    assert templates.get("champion", "first-overdue") == "first-overdue"


def test_dry_run_writes_nothing(invoice):
    run = services.run_playbook(as_of=date(2026, 3, 24), dry_run=True)
    assert [entry.line() for entry in run.entries] == [
        "would create email, template before-due (champion) for INV-1 (Acme Corp) at step "
        "before-due"
    ]
    assert (PlaybookAction.objects.count(), CollectionActivity.objects.count()) == (0, 0)


def test_command_prints_what_it_did_and_why_it_skipped(acme, invoice):
    disputed = InvoiceFactory(
        customer=acme, number="INV-2", issue_date=date(2026, 3, 1), amount=Decimal("80")
    )
    receivables_services.open_dispute(
        disputed, reason="pricing", amount=Decimal("5"), opened_date=date(2026, 3, 2)
    )
    out = StringIO()
    call_command("run_playbook", "--as-of", "2026-03-24", stdout=out)
    assert out.getvalue().splitlines() == [
        "created email, template before-due (champion) for INV-1 (Acme Corp) at step before-due",
        "skipped INV-2 (Acme Corp) at step before-due: an open dispute (open_dispute)",
        "Playbook for 2026-03-24: created 1, skipped 1, already done by another run 0.",
    ]
    out = StringIO()
    call_command("run_playbook", "--as-of", "2026-03-24", stdout=out)
    assert out.getvalue().splitlines() == [
        "skipped INV-2 (Acme Corp) at step before-due: an open dispute (open_dispute)",
        "Playbook for 2026-03-24: created 0, skipped 1, already done by another run 0.",
    ]


def test_selection_costs_one_query_per_step(acme, django_assert_num_queries):
    for _ in range(3):
        InvoiceFactory(customer=acme, issue_date=date(2026, 3, 1), amount=Decimal("10"))
    with django_assert_num_queries(1 + 1 + 5):  # steps, their channel rules, one per step
        services.run_playbook(as_of=date(2026, 4, 1), dry_run=True)
    for _ in range(10):
        InvoiceFactory(customer=acme, issue_date=date(2026, 3, 1), amount=Decimal("10"))
    with django_assert_num_queries(1 + 1 + 5):
        services.run_playbook(as_of=date(2026, 4, 1) + timedelta(days=0), dry_run=True)


def test_command_dry_run_prints_what_it_would_do_and_writes_nothing(acme, invoice):
    disputed = InvoiceFactory(
        customer=acme, number="INV-2", issue_date=date(2026, 3, 1), amount=Decimal("80")
    )
    receivables_services.open_dispute(
        disputed, reason="pricing", amount=Decimal("5"), opened_date=date(2026, 3, 2)
    )
    out = StringIO()

    call_command("run_playbook", "--as-of", "2026-03-24", "--dry-run", stdout=out)

    assert out.getvalue().splitlines() == [
        "would create email, template before-due (champion) for INV-1 (Acme Corp) at step "
        "before-due",
        "skipped INV-2 (Acme Corp) at step before-due: an open dispute (open_dispute)",
        "Playbook for 2026-03-24: would create 1, skipped 1, already done by another run 0.",
    ]
    assert (PlaybookAction.objects.count(), CollectionActivity.objects.count()) == (0, 0)


def test_command_refuses_a_bad_as_of_date(invoice):
    with pytest.raises(CommandError):
        call_command("run_playbook", "--as-of", "2026-13-01", stdout=StringIO())
    assert PlaybookAction.objects.count() == 0


def test_a_promise_due_today_is_not_yet_due_and_one_due_yesterday_is(acme, invoice):
    receivables_services.create_promise(
        invoice, promised_date=date(2026, 4, 1), amount=Decimal("10"),
        created_date=date(2026, 3, 30),
    )  # fmt: skip

    today = services.run_playbook(as_of=date(2026, 4, 1))
    tomorrow = services.run_playbook(as_of=date(2026, 4, 2))

    assert [(e.outcome, e.reason) for e in today.entries] == [
        ("skipped", "a promise to pay not yet due (promise_not_yet_due)")
    ]
    assert [(e.outcome, e.step) for e in tomorrow.entries] == [("created", "first-overdue")]


def test_a_resolved_dispute_no_longer_skips(acme, invoice):
    dispute = receivables_services.open_dispute(
        invoice, reason="pricing", amount=Decimal("50"), opened_date=date(2026, 3, 20)
    )
    assert services.run_playbook(as_of=date(2026, 4, 1)).count(services.SKIPPED) == 1

    receivables_services.resolve_dispute(
        dispute, resolution="upheld", resolved_date=date(2026, 4, 1)
    )

    assert [(e.outcome, e.step) for e in services.run_playbook(as_of=date(2026, 4, 1)).entries] == [
        ("created", "first-overdue")
    ]
