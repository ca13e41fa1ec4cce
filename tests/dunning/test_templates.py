from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dunning import services, templates
from dunning.models import MessageTemplate

VALUES = templates.MergeValues(
    customer_name="Acme Corp",
    invoice_number="INV-7",
    open_amount=Decimal("1250.5"),
    currency="EUR",
    due_date=date(2026, 3, 31),
    as_of=date(2026, 4, 3),
    payment_link="https://pay.example.com/acme",
    rep_name="Ann Rep",
)


def test_render_fills_every_merge_field():
    text = (
        "{{ customer_name }}|{{invoice_number}}|{{ open_amount }}|{{ due_date }}|"
        "{{ days_past_due }}|{{ days_until_due }}|{{ payment_link }}|{{ rep_name }}"
    )
    assert templates.render(text, VALUES) == (
        "Acme Corp|INV-7|1,250.50 EUR|31 March 2026|3|0|https://pay.example.com/acme|Ann Rep"
    )


def test_render_without_a_payment_link_or_rep_keeps_the_sentence_whole():
    values = templates.MergeValues(
        customer_name="Acme Corp",
        invoice_number="INV-7",
        open_amount=Decimal("10"),
        currency="USD",
        due_date=date(2026, 4, 10),
        as_of=date(2026, 4, 3),
    )
    text = (
        "Due in {{ days_until_due }} days ({{ days_past_due }} late). To pay: {{ payment_link }}."
    )
    assert templates.render(text, values) == (
        "Due in 7 days (0 late). To pay: reply to this message and we will send you our bank "
        "details."
    )
    assert templates.render("{{ rep_name }}", values) == "your account manager"


@pytest.mark.django_db
def test_the_default_first_reminder_renders_exactly():
    template = MessageTemplate.objects.get(code="first-overdue")
    due = _due()
    assert services.message_for(template, due, date(2026, 4, 3)) == (
        "Invoice INV-7 is now past due\n\n"
        "Hello Acme Corp,\n\n"
        "We have not yet received the payment of invoice INV-7 for 1,250.50 EUR, which was due "
        "on 31 March 2026. It may simply have crossed this message; if so, thank you.\n\n"
        "To pay: https://pay.example.com/acme. If something prevents the payment, please let us "
        "know and we will find a solution together.\n\n"
        "Kind regards,\nThe accounts receivable team"
    )


def _due():
    from dunning.queries import DueInvoice

    return DueInvoice(
        invoice_id=1,
        number="INV-7",
        customer_id=1,
        customer_name="Acme Corp",
        segment_id=None,
        currency="EUR",
        open_amount=Decimal("1250.50"),
        due_date=date(2026, 3, 31),
        payment_link="https://pay.example.com/acme",
        rep_name="Ann Rep",
        skip=None,
    )


@pytest.mark.django_db
def test_an_unknown_merge_field_is_refused_when_saved():
    before = MessageTemplate.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.save_template(
            code="typo", name="Typo", subject="Hi {{ customer_name }}", body="Pay {{ amount }}"
        )
    error = caught.value.error_dict["body"][0]
    assert error.code == "unknown_merge_field"
    assert error.messages[0].startswith("Unknown merge field {{ amount }}; the merge fields are")
    assert "subject" not in caught.value.error_dict
    assert MessageTemplate.objects.count() == before


@pytest.mark.django_db
def test_a_model_save_also_refuses_an_unknown_merge_field():
    template = MessageTemplate.objects.get(code="due-today")
    template.subject = "{{ nope }}"
    with pytest.raises(ValidationError):
        template.save()
    assert MessageTemplate.objects.get(code="due-today").subject == (
        "Invoice {{ invoice_number }} is due today"
    )
