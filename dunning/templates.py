"""Message templates: merge fields, their validation when saved, and rendering.

A template is plain text with merge fields in double braces, `{{ customer_name }}`. The set
of fields is closed: a template naming any other field is refused when it is saved (code
`unknown_merge_field`), so a typo never reaches a customer. Rendering is a plain substitution,
not Django's template language: a template cannot run code or read anything else.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError

from dunning.errors import ErrorCode

MERGE_FIELD = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")

MERGE_FIELDS = {
    "customer_name": "The customer's name.",
    "invoice_number": "The invoice number.",
    "open_amount": "The open amount with its currency, e.g. 1,250.00 USD.",
    "due_date": "The due date, e.g. 31 March 2026.",
    "days_past_due": "Days past the due date (0 while not yet due).",
    "days_until_due": "Days until the due date (0 once due).",
    "payment_link": "The customer's payment link, or a sentence saying how to pay.",
    "rep_name": "The name of the account's sales rep (or 'your account manager').",
}

# Shown where a customer has no payment link configured: the message stays complete.
NO_PAYMENT_LINK = "reply to this message and we will send you our bank details"


@dataclass(frozen=True)
class MergeValues:
    """What a message is about: the values its merge fields are filled with."""

    customer_name: str
    invoice_number: str
    open_amount: Decimal
    currency: str
    due_date: date
    as_of: date
    payment_link: str = ""
    rep_name: str = ""

    def fields(self) -> dict[str, str]:
        """Each merge field's text."""
        late = (self.as_of - self.due_date).days
        return {
            "customer_name": self.customer_name,
            "invoice_number": self.invoice_number,
            "open_amount": f"{self.open_amount:,.2f} {self.currency}",
            "due_date": f"{self.due_date.day} {self.due_date:%B %Y}",
            "days_past_due": str(max(0, late)),
            "days_until_due": str(max(0, -late)),
            "payment_link": self.payment_link or NO_PAYMENT_LINK,
            "rep_name": self.rep_name or "your account manager",
        }


def merge_fields_in(text: str) -> list[str]:
    """The merge fields a text names, in order of first appearance."""
    names: list[str] = []
    for match in MERGE_FIELD.finditer(text or ""):
        if match.group(1) not in names:
            names.append(match.group(1))
    return names


def check(**texts: str) -> None:
    """Refuse texts that name a merge field outside `MERGE_FIELDS`.

    Args:
        texts: the template's parts by field name (e.g. subject=..., body=...).

    Raises:
        ValidationError: `unknown_merge_field` on the part that names it.
    """
    errors = {}
    for field, text in texts.items():
        unknown = [name for name in merge_fields_in(text) if name not in MERGE_FIELDS]
        if unknown:
            known = ", ".join(sorted(MERGE_FIELDS))
            errors[field] = ValidationError(
                f"Unknown merge field {{{{ {unknown[0]} }}}}; the merge fields are {known}.",
                code=ErrorCode.UNKNOWN_MERGE_FIELD,
            )
    if errors:
        raise ValidationError(errors)


def render(text: str, values: MergeValues) -> str:
    """`text` with every merge field replaced by its value (the text was `check`ed on save)."""
    fields = values.fields()
    return MERGE_FIELD.sub(lambda match: fields[match.group(1)], text or "")
