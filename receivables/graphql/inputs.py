"""GraphQL inputs of the receivables app, named as the services' arguments (camelCased).

Foreign keys are written by id, as in REST. Server-kept amounts (open, unapplied) and derived
statuses are not inputs.
"""

from datetime import date, datetime
from decimal import Decimal

import strawberry


@strawberry.input
class OrderInput:
    customer: strawberry.ID
    number: str
    order_date: date
    amount: Decimal
    currency: str | None = None
    rep: strawberry.ID | None = None
    opportunity: strawberry.ID | None = None
    product_line: str | None = None
    status: str | None = None
    credit_hold_override_reason: str | None = strawberry.field(
        default=None,
        description="Admins only: book the order although the customer is on credit hold, "
        "and why (recorded with who).",
    )


@strawberry.input
class InvoiceInput:
    customer: strawberry.ID
    number: str
    issue_date: date
    amount: Decimal
    currency: str | None = None
    due_date: date | None = None
    order: strawberry.ID | None = None
    rep: strawberry.ID | None = None
    product_line: str | None = None
    status: str | None = strawberry.field(default=None, description="`open` (default) or `draft`.")


@strawberry.input
class InvoicePartialInput:
    """Only the fields given change. Money, customer, number and issue date: drafts only."""

    customer: strawberry.ID | None = strawberry.UNSET
    number: str | None = strawberry.UNSET
    issue_date: date | None = strawberry.UNSET
    due_date: date | None = strawberry.UNSET
    amount: Decimal | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET
    order: strawberry.ID | None = strawberry.UNSET
    rep: strawberry.ID | None = strawberry.UNSET
    product_line: str | None = strawberry.UNSET


@strawberry.input
class AdjustmentInput:
    invoice: strawberry.ID
    kind: str
    amount: Decimal
    adjustment_date: date
    reason: str | None = None


@strawberry.input
class PaymentInput:
    customer: strawberry.ID
    amount: Decimal
    received_date: date
    currency: str | None = None
    method: str | None = None
    reference: str | None = None
    external_id: str | None = None


@strawberry.input
class ApplicationInput:
    payment: strawberry.ID
    invoice: strawberry.ID
    amount: Decimal
    applied_date: date | None = None


@strawberry.input
class DisputeInput:
    invoice: strawberry.ID
    reason: str
    amount: Decimal
    opened_date: date
    notes: str | None = None


@strawberry.input
class DisputeResolutionInput:
    resolution: str
    resolved_date: date | None = None
    credit_amount: Decimal | None = strawberry.field(
        default=None, description="With `credited`: issue a credit note of this amount."
    )
    notes: str | None = None


@strawberry.input
class PromiseInput:
    invoice: strawberry.ID
    promised_date: date
    amount: Decimal
    created_date: date | None = None
    notes: str | None = None


@strawberry.input
class ActivityInput:
    customer: strawberry.ID
    kind: str
    occurred_at: datetime
    invoice: strawberry.ID | None = None
    clicked_at: datetime | None = None
    outcome: str | None = None
    notes: str | None = None


@strawberry.input
class RemittanceLineInput:
    """One remittance line: an invoice by number or by id (exactly one), and its amount."""

    amount: Decimal
    invoice_number: str | None = None
    invoice: strawberry.ID | None = None


@strawberry.input
class PaymentPostingInput:
    """A payment as an accounting system posts it (REST `POST /payments/`), camelCased.

    Give `customer` (id) or `customerExternalId`. Without `remittance`, invoice numbers found
    in `reference` are applied, then an exact-amount match; see `postPayment`.
    """

    amount: Decimal
    received_date: date
    customer: strawberry.ID | None = None
    customer_external_id: str | None = None
    currency: str | None = strawberry.field(
        default=None, description="Defaults to the customer's currency."
    )
    method: str | None = None
    reference: str | None = strawberry.field(default=None, description="As the bank shows it.")
    external_id: str | None = strawberry.field(
        default=None, description="The sender's id; posting it twice: duplicate_external_id."
    )
    remittance: list[RemittanceLineInput] | None = None
