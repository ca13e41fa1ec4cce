"""`postPayment` / `postPayments`: REST's payment-posting contract (`POST /payments/`, `/bulk/`).

The rules live in `receivables.cash_application` (`resolve_customer`, `post_payment`,
`post_payments`, `batch`); this module checks the input the way REST's
`PaymentCreateSerializer` does (same codes: customer_ambiguous, invoice_or_number_required,
max_length, max_value, max_decimal_places, does_not_exist) and renders the `PostingResult`.
Field names in messages are camelCased, as everywhere in GraphQL.
"""

from decimal import Decimal

import strawberry
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from strawberry.utils.str_converters import to_camel_case
from strawberry_django.fields.types import OperationMessage

from o2c_api.errors import Conflict
from o2c_api.graphql.errors import service_errors
from receivables import cash_application
from receivables.cash_application import PostingResult, RemittanceLine
from receivables.graphql.inputs import PaymentPostingInput
from receivables.graphql.types import ApplicationType, PaymentType
from receivables.models import Payment, PaymentApplication

# REST's PaymentCreateSerializer bounds (receivables/api/payments.py), kept equal by
# tests/graphql/test_post_payment.py.
MAX_AMOUNT = Decimal("9999999999999999.99")  # DecimalField(18, 2)
MAX_LENGTHS = {"customer_external_id": 100, "reference": 255, "external_id": 100}
MAX_INVOICE_NUMBER_LENGTH = 64


@strawberry.type(name="PostingException")
class PostingExceptionType:
    """A remittance line (or an invoice named in the reference) that was not applied."""

    line: int | None = strawberry.field(
        description="Index of the remittance line; null for an invoice named in the reference."
    )
    invoice: str = strawberry.field(description="The invoice as the sender named it.")
    code: str = strawberry.field(
        description="invoice_not_found, customer_mismatch, invoice_not_open, currency_mismatch, "
        "exceeds_open_amount, exceeds_unapplied_amount, not_positive, invoice_paid."
    )
    message: str
    amount: Decimal = strawberry.field(description="The amount this problem left unapplied.")


@strawberry.type(name="PaymentPosting")
class PaymentPostingType:
    """What a posting did: the stored payment, its applications and what could not be applied."""

    payment: PaymentType
    applications: list[ApplicationType] = strawberry.field(
        description="The applications this posting made, in the order they were made."
    )
    unapplied_amount: Decimal = strawberry.field(description="Cash left on account.")
    rule: str = strawberry.field(
        description="Which rule applied the cash: remittance, reference, exact_amount or none."
    )
    exceptions: list[PostingExceptionType]


@strawberry.type(name="BulkPostingItem")
class BulkPostingItemType:
    """The outcome of one item of `postPayments`, at its index in the input."""

    index: int
    status: str = strawberry.field(description="created, duplicate, error or rolled_back.")
    posting: PaymentPostingType | None
    errors: list[OperationMessage]


@strawberry.type(name="BulkPosting")
class BulkPostingType:
    """The answer of `postPayments`: counts, then one result per item in input order."""

    created: int
    duplicates: int
    failed: int
    rolled_back: bool = strawberry.field(
        description="True when an all-or-nothing post stored nothing because an item failed."
    )
    results: list[BulkPostingItemType]


def posting_kwargs(data: PaymentPostingInput) -> dict:
    """`post_payment`'s keyword arguments from the input, checked as REST checks the body.

    Raises:
        ValidationError: the input is malformed or names no customer; nothing was stored.
    """
    errors: dict[str, list[ValidationError]] = {}

    def refuse(field: str, message: str, code: str) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    for name, limit in MAX_LENGTHS.items():
        value = getattr(data, name)
        if value is not None and len(value) > limit:
            refuse(name, f"Ensure this field has no more than {limit} characters.", "max_length")
    if data.amount > MAX_AMOUNT:
        refuse("amount", f"Ensure this value is less than or equal to {MAX_AMOUNT}.", "max_value")
    lines = data.remittance or []
    if len(lines) > settings.O2C_BULK_MAX_ITEMS:
        refuse(
            "remittance",
            f"Ensure this field has no more than {settings.O2C_BULK_MAX_ITEMS} elements.",
            "max_length",
        )
        lines = []
    remittance = []
    for index, line in enumerate(lines):
        field = f"remittance[{index}]"
        if (line.invoice is None) == (line.invoice_number is None):
            refuse(
                field, "Give either `invoice_number` or `invoice`.", "invoice_or_number_required"
            )
            continue
        invoice = None
        if line.invoice is not None:
            try:
                invoice = int(line.invoice)
            except ValueError:
                refuse(f"{field}.invoice", "A valid integer is required.", "invalid")
                continue
        elif len(line.invoice_number) > MAX_INVOICE_NUMBER_LENGTH:
            refuse(
                f"{field}.invoice_number",
                f"Ensure this field has no more than {MAX_INVOICE_NUMBER_LENGTH} characters.",
                "max_length",
            )
            continue
        amount = line.amount.as_tuple()
        if isinstance(amount.exponent, int) and -amount.exponent > 2:
            refuse(
                f"{field}.amount",
                "Ensure that there are no more than 2 decimal places.",
                "max_decimal_places",
            )
            continue
        remittance.append(
            RemittanceLine(amount=line.amount, invoice_number=line.invoice_number, invoice=invoice)
        )
    if errors:
        raise ValidationError(errors)
    if data.customer is not None and data.customer_external_id is not None:
        raise ValidationError(
            "Give `customer` or `customer_external_id`, not both.", code="customer_ambiguous"
        )
    customer_id = None
    if data.customer is not None:
        try:
            customer_id = int(data.customer)
        except ValueError:
            raise ValidationError(
                {"customer": ValidationError("No such customer.", "does_not_exist")}
            ) from None
    kwargs = {
        "customer": cash_application.resolve_customer(
            customer_id=customer_id, customer_external_id=data.customer_external_id
        ),
        "amount": data.amount,
        "received_date": data.received_date,
        "remittance": remittance,
    }
    for name in ("currency", "method", "reference", "external_id"):
        if getattr(data, name) is not None:
            kwargs[name] = getattr(data, name)
    return kwargs


def render(result: PostingResult) -> PaymentPostingType:
    """The GraphQL payload of a `PostingResult`, its payment and applications read back."""
    payment = Payment.objects.select_related("customer").get(pk=result.payment.pk)
    by_id = PaymentApplication.objects.select_related("invoice").in_bulk(
        [application.pk for application in result.applications]
    )
    return PaymentPostingType(
        payment=payment,
        applications=[by_id[application.pk] for application in result.applications],
        unapplied_amount=result.unapplied_amount,
        rule=result.rule,
        exceptions=[
            PostingExceptionType(
                line=e.line, invoice=e.invoice, code=e.code, message=e.message, amount=e.amount
            )
            for e in result.exceptions
        ],
    )


def post_one(data: PaymentPostingInput, user) -> PaymentPostingType:
    """Check and post one payment (its own transaction, retried on deadlock).

    Raises:
        ValidationError: as `posting_kwargs` and `post_payment`; a Conflict keeps its code
            (duplicate_external_id names the existing payment in its message).
    """
    with service_errors():
        return render(cash_application.post_payment(**posting_kwargs(data), posted_by=user))


def messages(exc: ValidationError) -> list[OperationMessage]:
    """A ValidationError as OperationMessages, as `handle_django_errors` renders one."""
    kind = OperationMessage.Kind.VALIDATION
    if not hasattr(exc, "error_dict"):
        return [
            OperationMessage(kind=kind, message=" ".join(e.messages), code=e.code or "invalid")
            for e in exc.error_list
        ]
    return [
        OperationMessage(
            kind=kind,
            field=None if field == NON_FIELD_ERRORS else to_camel_case(field),
            message=" ".join(e.messages),
            code=e.code or "invalid",
        )
        for field, field_errors in exc.error_dict.items()
        for e in field_errors
    ]


def _outcome(index: int, outcome) -> BulkPostingItemType:
    """`outcome`: a PostingResult or the ValidationError that refused the item."""
    if isinstance(outcome, PostingResult):
        return BulkPostingItemType(
            index=index, status="created", posting=render(outcome), errors=[]
        )
    if isinstance(outcome, Conflict):
        try:
            with service_errors():
                raise outcome
        except ValidationError as exc:
            errors = messages(exc)
        status = "duplicate" if outcome.code == "duplicate_external_id" else "error"
        return BulkPostingItemType(index=index, status=status, posting=None, errors=errors)
    return BulkPostingItemType(index=index, status="error", posting=None, errors=messages(outcome))


def _checked(items: list[PaymentPostingInput]) -> list[dict | ValidationError]:
    checked: list[dict | ValidationError] = []
    for item in items:
        try:
            checked.append(posting_kwargs(item))
        except ValidationError as exc:
            checked.append(exc)
    return checked


def post_many(items: list[PaymentPostingInput], user, *, atomic: bool) -> BulkPostingType:
    """REST's bulk post (`cash_application.post_batch`): per item `created`, `duplicate` or
    `error`; with `atomic` any item not created rolls every item back (`rolled_back` for the
    good ones).

    Raises:
        ValidationError: more than O2C_BULK_MAX_ITEMS items (max_length on `items`).
    """
    limit = settings.O2C_BULK_MAX_ITEMS
    if not items or len(items) > limit:
        raise ValidationError(
            {
                "items": ValidationError(
                    f"Give 1 to {limit} items.", "empty" if not items else "max_length"
                )
            }
        )
    batch = cash_application.post_batch(_checked(items), posted_by=user, atomic=atomic)
    results = [
        # A rolled-back posting's rows are gone: there is nothing to render.
        BulkPostingItemType(index=index, status="rolled_back", posting=None, errors=[])
        if batch.rolled_back and isinstance(outcome, PostingResult)
        else _outcome(index, outcome)
        for index, outcome in enumerate(batch.outcomes)
    ]
    return _summary(results, rolled_back=batch.rolled_back)


def _summary(results: list[BulkPostingItemType], *, rolled_back: bool) -> BulkPostingType:
    statuses = [result.status for result in results]
    return BulkPostingType(
        created=statuses.count("created"),
        duplicates=statuses.count("duplicate"),
        failed=statuses.count("error"),
        rolled_back=rolled_back,
        results=results,
    )
