"""Mutations of the receivables app: each one calls `receivables.services` in one transaction.

The services hold every rule (locking order, open and unapplied amounts, the rollup); these
resolvers only look up ids and pass arguments. Validation failures come back as
`OperationInfo` data with REST's codes, and nothing is changed (the transaction rolls back).
"""

from datetime import date

import strawberry
import strawberry_django
from django.db import transaction
from strawberry.types import Info

from accounts.models import Customer, Opportunity, SalesRep
from o2c_api import audit
from o2c_api.graphql.errors import fresh, get_object, service_errors
from o2c_api.graphql.inputs import service_kwargs
from o2c_api.graphql.permissions import can_add, can_change
from receivables import services
from receivables.graphql.inputs import (
    ActivityInput,
    AdjustmentInput,
    ApplicationInput,
    DisputeInput,
    DisputeResolutionInput,
    InvoiceInput,
    InvoicePartialInput,
    OrderInput,
    PaymentInput,
    PaymentPostingInput,
    PromiseInput,
)
from receivables.graphql.posting import (
    BulkPostingType,
    PaymentPostingType,
    post_many,
    post_one,
)
from receivables.graphql.types import (
    ActivityType,
    AdjustmentType,
    ApplicationType,
    DisputeType,
    InvoiceType,
    OrderType,
    PaymentType,
    PromiseType,
)
from receivables.models import (
    Adjustment,
    CollectionActivity,
    Dispute,
    Invoice,
    Order,
    Payment,
    PaymentApplication,
    PromiseToPay,
)

ORDER_KEYS = {"customer": Customer, "rep": SalesRep, "opportunity": Opportunity}
INVOICE_KEYS = {"customer": Customer, "rep": SalesRep, "order": Order}


def _user(info: Info):
    return info.context.request.user


def _mutation(extensions: list, description: str):
    return strawberry_django.mutation(
        handle_django_errors=True, extensions=extensions, description=description
    )


@strawberry.type
class Mutation:
    @_mutation(
        can_add(Order),
        "Book an order; the rep defaults to the customer's. Codes: not_positive, invalid_currency, "
        "opportunity_customer_mismatch, unique, customer_on_credit_hold (unless an admin gives "
        "creditHoldOverrideReason), override_reason_required.",
    )
    def create_order(self, info: Info, data: OrderInput) -> OrderType:
        from dunning.graphql.orders import hold_override, override_refused

        with service_errors(), override_refused(), transaction.atomic():
            kwargs = service_kwargs(data, ORDER_KEYS)
            kwargs["credit_hold_override"] = hold_override(info, kwargs)
            return fresh(services.create_order(**kwargs))

    @_mutation(
        can_add(Invoice),
        "Create an open (or draft) invoice; currency, due date, rep and product line default from "
        "the order and customer. Codes: not_positive, invalid_currency, order_customer_mismatch, "
        "currency_mismatch, due_before_issue, invalid_status, unique.",
    )
    def create_invoice(self, info: Info, data: InvoiceInput) -> InvoiceType:
        with service_errors(), transaction.atomic():
            return fresh(services.create_invoice(**service_kwargs(data, INVOICE_KEYS)))

    @_mutation(
        can_change(Invoice),
        "Change an invoice; money, customer, number and issue date only while draft. Codes: "
        "invoice_issued_immutable, invoice_void, due_before_issue.",
    )
    def update_invoice(
        self, info: Info, id: strawberry.ID, data: InvoicePartialInput
    ) -> InvoiceType:
        with service_errors(), transaction.atomic():
            invoice = get_object(Invoice, id)
            return fresh(services.update_invoice(invoice, **service_kwargs(data, INVOICE_KEYS)))

    @_mutation(
        can_change(Invoice),
        "Turn a draft into an open invoice (it starts counting for the KPIs). Code: "
        "invoice_not_draft.",
    )
    def issue_invoice(self, info: Info, id: strawberry.ID) -> InvoiceType:
        with service_errors(), transaction.atomic():
            return fresh(services.issue_invoice(get_object(Invoice, id)))

    @_mutation(
        can_change(Invoice),
        "Void an invoice without cash applied; `reason` is kept in the audit trail. Codes: "
        "invoice_already_void, invoice_has_applications, date_before_issue (a void date before the "
        "issue date).",
    )
    def void_invoice(
        self,
        info: Info,
        id: strawberry.ID,
        voided_date: date | None = None,
        reason: str | None = None,
    ) -> InvoiceType:
        with service_errors(), transaction.atomic(), audit.reason(reason):
            return fresh(services.void_invoice(get_object(Invoice, id), voided_date))

    @_mutation(
        can_add(Adjustment),
        "Lower an invoice's open amount with a credit note or write-off. Codes: not_positive, "
        "invalid_kind, invoice_not_open, exceeds_open_amount, date_before_issue.",
    )
    def add_adjustment(self, info: Info, data: AdjustmentInput) -> AdjustmentType:
        with service_errors(), transaction.atomic():
            kwargs = service_kwargs(data, {"invoice": Invoice})
            return fresh(services.add_adjustment(kwargs.pop("invoice"), user=_user(info), **kwargs))

    @_mutation(
        can_add(Payment),
        "Store a payment, all of it unapplied. Codes: not_positive, invalid_currency, "
        "invalid_method, duplicate_external_id.",
    )
    def record_payment(self, info: Info, data: PaymentInput) -> PaymentType:
        with service_errors(), transaction.atomic():
            kwargs = service_kwargs(data, {"customer": Customer})
            return fresh(services.record_payment(posted_by=_user(info), **kwargs))

    @_mutation(
        can_add(Payment),
        "Post a payment as an accounting system does (REST `POST /payments/`): store it and "
        "apply it automatically in one transaction — remittance lines as given; else invoice "
        "numbers of the customer found in `reference`, oldest first; else the one open invoice "
        "whose open amount equals the amount; else on account. Lines that cannot be honoured "
        "are listed in `exceptions` and their amount stays unapplied. Codes (nothing stored): "
        "customer_required, customer_ambiguous, does_not_exist, not_positive, invalid_amount, "
        "invalid_currency, invalid_method, invoice_or_number_required, max_length, max_value, "
        "duplicate_external_id (names the existing payment).",
    )
    def post_payment(self, info: Info, data: PaymentPostingInput) -> PaymentPostingType:
        # No outer transaction: post_payment owns its transaction so it can retry a deadlock.
        return post_one(data, _user(info))

    @_mutation(
        can_add(Payment),
        "Post up to O2C_BULK_MAX_ITEMS payments (REST `POST /payments/bulk/`), each as "
        "`postPayment` on its own: one result per item, in order: created, duplicate or error; "
        "the created ones are committed together before the answer. With `atomic: true` all or "
        "nothing: any item not created rolls every item back (`rolledBack`, good items "
        "`rolled_back`). Codes: empty, max_length.",
    )
    def post_payments(
        self, info: Info, items: list[PaymentPostingInput], atomic: bool = False
    ) -> BulkPostingType:
        return post_many(items, _user(info), atomic=atomic)

    @_mutation(
        can_add(PaymentApplication),
        "Apply part of a payment to an invoice of the same customer and currency. Codes: "
        "exceeds_unapplied_amount, exceeds_open_amount, customer_mismatch, currency_mismatch, "
        "invoice_not_open, applied_before_received, date_before_issue.",
    )
    def apply_payment(self, info: Info, data: ApplicationInput) -> ApplicationType:
        with service_errors(), transaction.atomic():
            kwargs = service_kwargs(data, {"payment": Payment, "invoice": Invoice})
            return fresh(
                services.apply_payment(
                    kwargs.pop("payment"), kwargs.pop("invoice"), user=_user(info), **kwargs
                )
            )

    @_mutation(
        can_change(PaymentApplication),
        "Reverse a cash application; answers the payment with its cash unapplied again; "
        "`reason` is kept in the audit trail. Code: not_found.",
    )
    def unapply_payment(
        self, info: Info, id: strawberry.ID, reason: str | None = None
    ) -> PaymentType:
        with service_errors(), transaction.atomic(), audit.reason(reason):
            application = get_object(PaymentApplication, id)
            services.unapply(application)
            return Payment.objects.get(pk=application.payment_id)

    @_mutation(
        can_add(Dispute),
        "Record a customer's dispute of (part of) an invoice. Codes: not_positive, invalid_reason, "
        "invoice_not_open, exceeds_invoice_amount, date_before_issue.",
    )
    def open_dispute(self, info: Info, data: DisputeInput) -> DisputeType:
        with service_errors(), transaction.atomic():
            kwargs = service_kwargs(data, {"invoice": Invoice})
            return fresh(services.open_dispute(kwargs.pop("invoice"), **kwargs))

    @_mutation(
        can_change(Dispute),
        "Resolve a dispute; `credited` with creditAmount issues a credit note in the same step. "
        "Codes: dispute_already_resolved, invalid_resolution, date_before_opened.",
    )
    def resolve_dispute(
        self, info: Info, id: strawberry.ID, data: DisputeResolutionInput
    ) -> DisputeType:
        with service_errors(), transaction.atomic():
            dispute = get_object(Dispute, id)
            return fresh(
                services.resolve_dispute(dispute, user=_user(info), **service_kwargs(data))
            )

    @_mutation(
        can_add(PromiseToPay),
        "Record a promise to pay; its status is derived at once. Codes: not_positive, "
        "invoice_not_open, promised_before_created, exceeds_invoice_amount.",
    )
    def create_promise(self, info: Info, data: PromiseInput) -> PromiseType:
        with service_errors(), transaction.atomic():
            kwargs = service_kwargs(data, {"invoice": Invoice})
            return fresh(services.create_promise(kwargs.pop("invoice"), user=_user(info), **kwargs))

    @_mutation(
        can_add(CollectionActivity),
        "Log a reminder, email, call, SMS or note. Codes: customer_mismatch, "
        "clicked_before_occurred.",
    )
    def create_activity(self, info: Info, data: ActivityInput) -> ActivityType:
        with service_errors(), transaction.atomic():
            kwargs = service_kwargs(data, {"customer": Customer, "invoice": Invoice})
            return fresh(services.create_activity(user=_user(info), **kwargs))
