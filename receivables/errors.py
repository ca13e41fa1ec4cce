"""The error codes of receivables: orders, invoices, adjustments, payments, cash application,
disputes, promises and activities.

Defined once here and raised by the services; REST answers them as `errors[].code`, GraphQL as
`OperationInfo.messages[].code`, so a client sees the same code for the same refusal on both.
Values are stable: a client may rely on them. A currency's code
(`invalid_currency`) and `protected` are `o2c_api.errors.ErrorCode`'s.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    """A machine-readable reason a write was refused."""

    APPLIED_BEFORE_RECEIVED = "applied_before_received"
    CLICKED_BEFORE_OCCURRED = "clicked_before_occurred"
    CURRENCY_MISMATCH = "currency_mismatch"
    CUSTOMER_AMBIGUOUS = "customer_ambiguous"
    CUSTOMER_MISMATCH = "customer_mismatch"
    CUSTOMER_REQUIRED = "customer_required"
    DATE_BEFORE_ISSUE = "date_before_issue"
    DATE_BEFORE_OPENED = "date_before_opened"
    DISPUTE_ALREADY_RESOLVED = "dispute_already_resolved"
    DOES_NOT_EXIST = "does_not_exist"
    DUE_BEFORE_ISSUE = "due_before_issue"
    DUPLICATE_EXTERNAL_ID = "duplicate_external_id"
    EXCEEDS_INVOICE_AMOUNT = "exceeds_invoice_amount"
    EXCEEDS_OPEN_AMOUNT = "exceeds_open_amount"
    EXCEEDS_UNAPPLIED_AMOUNT = "exceeds_unapplied_amount"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_KIND = "invalid_kind"
    INVALID_METHOD = "invalid_method"
    INVALID_REASON = "invalid_reason"
    INVALID_RESOLUTION = "invalid_resolution"
    INVALID_STATUS = "invalid_status"
    INVOICE_ALREADY_VOID = "invoice_already_void"
    INVOICE_HAS_APPLICATIONS = "invoice_has_applications"
    INVOICE_ISSUED_IMMUTABLE = "invoice_issued_immutable"
    INVOICE_NOT_DRAFT = "invoice_not_draft"
    INVOICE_NOT_FOUND = "invoice_not_found"
    INVOICE_NOT_OPEN = "invoice_not_open"
    INVOICE_OR_NUMBER_REQUIRED = "invoice_or_number_required"
    INVOICE_PAID = "invoice_paid"
    INVOICE_REQUIRED = "invoice_required"
    INVOICE_VOID = "invoice_void"
    NOT_POSITIVE = "not_positive"
    OPPORTUNITY_CUSTOMER_MISMATCH = "opportunity_customer_mismatch"
    ORDER_CUSTOMER_MISMATCH = "order_customer_mismatch"
    PAYMENT_HAS_APPLICATIONS = "payment_has_applications"
    PROMISED_BEFORE_CREATED = "promised_before_created"
