"""What a posting is given and what it answers: remittance lines, results, exceptions,
the rule names and the codes of exceptions."""

from dataclasses import dataclass, field
from decimal import Decimal

from o2c_api.money import ZERO
from receivables.errors import ErrorCode
from receivables.models import Payment, PaymentApplication

RULE_REMITTANCE = "remittance"
RULE_REFERENCE = "reference"
RULE_EXACT_AMOUNT = "exact_amount"
RULE_NONE = "none"

# Codes of `PostingException.code` besides those of `services.stage_application`
# (customer_mismatch, currency_mismatch, invoice_not_open, exceeds_open_amount,
# exceeds_unapplied_amount, not_positive, date_before_issue).
INVOICE_NOT_FOUND = ErrorCode.INVOICE_NOT_FOUND
INVOICE_PAID = ErrorCode.INVOICE_PAID  # only for invoices named in `reference`


@dataclass(frozen=True)
class RemittanceLine:
    """One line of a sender's remittance advice: which invoice, and how much of the cash.

    Exactly one of `invoice_number` and `invoice` (an invoice id) is given.
    """

    amount: Decimal
    invoice_number: str | None = None
    invoice: int | None = None

    @property
    def ref(self) -> str:
        return self.invoice_number if self.invoice_number is not None else str(self.invoice)


@dataclass(frozen=True)
class PostingException:
    """A remittance line or referenced invoice that was not applied, for a person to look at.

    Attributes:
        line: index of the remittance line (0-based), None for an invoice named in `reference`.
        invoice: the invoice as the sender referred to it (number or id).
        code: stable machine-readable code, e.g. invoice_not_found, exceeds_open_amount.
        message: a sentence for a person.
        amount: the amount this problem left unapplied.
    """

    line: int | None
    invoice: str
    code: str
    message: str
    amount: Decimal


@dataclass
class PostingResult:
    """What `post_payment` did: everything a REST response or a GraphQL payload shows.

    Attributes:
        payment: the stored payment (its `unapplied_amount` is current).
        applications: the applications made by this posting, by applied date then id.
        exceptions: lines or referenced invoices that could not be honoured.
        unapplied_amount: cash left on account.
        rule: which rule applied the cash: remittance, reference, exact_amount or none.
    """

    payment: Payment
    applications: list[PaymentApplication] = field(default_factory=list)
    exceptions: list[PostingException] = field(default_factory=list)
    unapplied_amount: Decimal = ZERO
    rule: str = RULE_NONE
