"""The defaults shipped with the app: message templates (kind tone), the playbook's steps and
the credit-hold rules. Installed by a data migration; `install_defaults` is idempotent (it only
creates what is missing by code), so tests that flush tables call it again.
"""

from django.apps import apps as global_apps

SIGNATURE = "\n\nKind regards,\nThe accounts receivable team"

TEMPLATES = [
    (
        "before-due",
        "Friendly reminder before the due date",
        "A friendly reminder: invoice {{ invoice_number }} is due on {{ due_date }}",
        "Hello {{ customer_name }},\n\n"
        "This is a friendly reminder that invoice {{ invoice_number }} for {{ open_amount }} "
        "is due on {{ due_date }}, in {{ days_until_due }} days.\n\n"
        "If the payment is already on its way, thank you, and please ignore this message. "
        "To pay: {{ payment_link }}." + SIGNATURE,
    ),
    (
        "due-today",
        "Reminder on the due date",
        "Invoice {{ invoice_number }} is due today",
        "Hello {{ customer_name }},\n\n"
        "Invoice {{ invoice_number }} for {{ open_amount }} is due today, {{ due_date }}.\n\n"
        "To pay: {{ payment_link }}. If you have any question about the invoice, simply "
        "reply to this message and we will be glad to help." + SIGNATURE,
    ),
    (
        "first-overdue",
        "First reminder after the due date",
        "Invoice {{ invoice_number }} is now past due",
        "Hello {{ customer_name }},\n\n"
        "We have not yet received the payment of invoice {{ invoice_number }} for "
        "{{ open_amount }}, which was due on {{ due_date }}. It may simply have crossed this "
        "message; if so, thank you.\n\n"
        "To pay: {{ payment_link }}. If something prevents the payment, please let us know "
        "and we will find a solution together." + SIGNATURE,
    ),
    (
        "first-overdue-short",
        "First reminder after the due date (short)",
        "Invoice {{ invoice_number }}: {{ open_amount }} open",
        "Hello {{ customer_name }},\n\n"
        "Invoice {{ invoice_number }} ({{ open_amount }}) was due on {{ due_date }}. "
        "You can pay in a minute here: {{ payment_link }}.\n\n"
        "Thank you!" + SIGNATURE,
    ),
    (
        "call-15",
        "Call script, 15 days past due",
        "",
        "Call {{ customer_name }} about invoice {{ invoice_number }}: {{ open_amount }}, "
        "{{ days_past_due }} days past due (due {{ due_date }}).\n"
        "Ask kindly whether the invoice arrived and whether anything prevents payment; "
        "agree a payment date and record it as a promise to pay.",
    ),
    (
        "escalation-30",
        "Escalation to the account's rep, 30 days past due",
        "Your customer {{ customer_name }}: invoice {{ invoice_number }} is "
        "{{ days_past_due }} days past due",
        "Hello {{ rep_name }},\n\n"
        "Invoice {{ invoice_number }} of {{ customer_name }} ({{ open_amount }}, due "
        "{{ due_date }}) is {{ days_past_due }} days past due and our reminders and call "
        "have not settled it. Could you contact your customer and help agree a payment "
        "date?\n\nThank you,\nThe accounts receivable team",
    ),
]

STEPS = [
    # code, name, offset, channel, template, challenger
    ("before-due", "7 days before the due date", -7, "email", "before-due", None),
    ("due-date", "On the due date", 0, "email", "due-today", None),
    (
        "first-overdue",
        "1 day after the due date",
        1,
        "email",
        "first-overdue",
        "first-overdue-short",
    ),
    ("call-15", "Call at 15 days past due", 15, "call", "call-15", None),
    (
        "escalation-30",
        "Escalation to the rep at 30 days past due",
        30,
        "rep",
        "escalation-30",
        None,
    ),
]

RULES = [
    {"code": "overdue_invoice", "days_past_due": 60},
    {"code": "broken_promises", "broken_promises": 2, "window_days": 90},
    {"code": "over_credit_limit"},
]


def install_defaults(apps=global_apps) -> None:
    """Create the default templates, steps and rules that do not exist yet (by code)."""
    template_model = apps.get_model("dunning", "MessageTemplate")
    step_model = apps.get_model("dunning", "PlaybookStep")
    rule_model = apps.get_model("dunning", "CreditHoldRule")
    by_code = {}
    for code, name, subject, body in TEMPLATES:
        by_code[code], _ = template_model.objects.get_or_create(
            code=code, defaults={"name": name, "subject": subject, "body": body}
        )
    for code, name, offset, channel, template, challenger in STEPS:
        step_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "offset_days": offset,
                "channel": channel,
                "template": by_code[template],
                "challenger_template": by_code[challenger] if challenger else None,
            },
        )
    for rule in RULES:
        rule_model.objects.get_or_create(code=rule["code"], defaults=rule)
