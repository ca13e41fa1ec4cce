"""`postPayment` / `postPayments`: REST's payment-posting contract (`POST /payments/`, `/bulk/`).

The rules live in `receivables.cash_application` (`resolve_customer`, `post_payment`,
`post_payments`, `batch`); the input is parsed by REST's `PaymentCreateSerializer` (one parser,
so the same codes and sentences) and the `PostingResult` rendered here. Field names in messages
are camelCased, as everywhere in GraphQL.
"""

from decimal import Decimal

import strawberry
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from rest_framework import serializers
from strawberry.utils.str_converters import to_camel_case
from strawberry_django.fields.types import OperationMessage

from accounts.models import Customer
from accounts.scoping import scope
from o2c_api.api.exceptions import flatten
from o2c_api.errors import Conflict
from o2c_api.errors import ErrorCode as CommonCode
from o2c_api.graphql.errors import service_errors
from receivables import cash_application
from receivables.api.payments import PaymentCreateSerializer
from receivables.cash_application import PostingResult
from receivables.errors import ErrorCode
from receivables.graphql.inputs import PaymentPostingInput
from receivables.graphql.types import ApplicationType, PaymentType, PostingExceptionType
from receivables.models import Payment, PaymentApplication


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


def posting_kwargs(data: PaymentPostingInput, customers=None, visible=None) -> dict:
    """`post_payment`'s keyword arguments from the input, parsed by REST's parser.

    The input becomes the JSON body REST would receive, validated by the same
    `PaymentCreateSerializer`, so both APIs accept, bound and refuse exactly the same postings
    with the same codes and sentences. `visible`: the customers the poster may name
    (`accounts.scoping.scope`; another is does_not_exist, as in REST).

    Raises:
        ValidationError: the input is malformed or names no customer; nothing was stored.
    """
    body = {name: getattr(data, name) for name in _FIELDS if getattr(data, name) is not None}
    if data.remittance is not None:
        body["remittance"] = [
            {name: getattr(line, name) for name in _LINE_FIELDS if getattr(line, name) is not None}
            for line in data.remittance
        ]
        for line in body["remittance"]:
            _json_id(line, "invoice")
    _json_id(body, "customer")
    try:
        context = {"customers": customers, "customer_queryset": visible}
        return PaymentCreateSerializer(context=context).run_validation(body)
    except serializers.ValidationError as exc:
        errors: dict[str, list[ValidationError]] = {}
        for error in flatten(exc.detail):
            field = error["field"] or NON_FIELD_ERRORS
            errors.setdefault(field, []).append(ValidationError(error["message"], error["code"]))
        raise ValidationError(errors) from None


def _json_id(body: dict, name: str) -> None:
    """A GraphQL ID (a string) as REST's JSON body carries it: a number, when it is one.

    REST's id fields are strict (a string is `invalid_type`); an ID that is not a whole
    number stays a string and is refused as REST refuses it.
    """
    value = body.get(name)
    if isinstance(value, str) and value.isascii() and value.isdecimal():
        body[name] = int(value)


_FIELDS = (
    "customer",
    "customer_external_id",
    "amount",
    "currency",
    "received_date",
    "method",
    "reference",
    "external_id",
)
_LINE_FIELDS = ("invoice", "invoice_number", "amount")


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
        kwargs = posting_kwargs(data, visible=scope(Customer.objects.all(), user))
        return render(cash_application.post_payment(**kwargs, posted_by=user))


def messages(exc: ValidationError) -> list[OperationMessage]:
    """A ValidationError as OperationMessages, as `handle_django_errors` renders one."""
    kind = OperationMessage.Kind.VALIDATION
    if not hasattr(exc, "error_dict"):
        return [
            OperationMessage(
                kind=kind, message=" ".join(e.messages), code=e.code or CommonCode.INVALID
            )
            for e in exc.error_list
        ]
    return [
        OperationMessage(
            kind=kind,
            field=None if field == NON_FIELD_ERRORS else to_camel_case(field),
            message=" ".join(e.messages),
            code=e.code or CommonCode.INVALID,
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
        status = "duplicate" if outcome.code == ErrorCode.DUPLICATE_EXTERNAL_ID else "error"
        return BulkPostingItemType(index=index, status=status, posting=None, errors=errors)
    return BulkPostingItemType(index=index, status="error", posting=None, errors=messages(outcome))


def _checked(items: list[PaymentPostingInput], user) -> list[dict | ValidationError]:
    visible = scope(Customer.objects.all(), user)
    customers = cash_application.CustomerIndex.load(
        (item.customer for item in items),
        (item.customer_external_id for item in items),
        customers=visible,
    )
    checked: list[dict | ValidationError] = []
    for item in items:
        try:
            checked.append(posting_kwargs(item, customers, visible))
        except ValidationError as exc:
            checked.append(exc)
    return checked


def post_many(items: list[PaymentPostingInput], user, *, atomic: bool) -> BulkPostingType:
    """REST's bulk post (`cash_application.post_batch`): per item `created`, `duplicate` or
    `error`; with `atomic` any item not created rolls every item back (`rolled_back` for the
    good ones).

    Raises:
        ValidationError: no item (min_length on `items`) or more than O2C_BULK_MAX_ITEMS
            (max_length), REST's codes for the same list bounds.
    """
    limit = settings.O2C_BULK_MAX_ITEMS
    if not items or len(items) > limit:
        raise ValidationError(
            {
                "items": ValidationError(
                    f"Give 1 to {limit} items.",
                    CommonCode.MIN_LENGTH if not items else CommonCode.MAX_LENGTH,
                )
            }
        )
    batch = cash_application.post_batch(_checked(items, user), posted_by=user, atomic=atomic)
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
