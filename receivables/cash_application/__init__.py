"""Posting a payment and applying it automatically: the one home of cash-application rules.

`post_payment` records the payment and applies it in one transaction, by the first rule that
applies:

1. **remittance** — the lines the sender gave (`invoice_number` or `invoice` id, amount), in
   order, each exactly as given;
2. **reference** — without remittance, the invoice numbers of this customer found in the
   payment's `reference`, oldest first (issue date, then id), each up to its open amount;
3. **exact_amount** — otherwise the customer's one open invoice (same currency) whose open
   amount equals the payment amount, if there is exactly one;
4. **none** — otherwise the cash stays unapplied (on account) for a person to apply.

With `settings.O2C_AUTO_APPLY_OLDEST_FIRST` on (off by default) cash left over by any rule is
then applied to the customer's open invoices, oldest first — unless a line or reference could
not be honoured, because an exception is a question for a person.

Reference matching: the reference is cut into tokens at anything that is not a letter, digit,
`-`, `_`, `.` or `/` (so "INV-00012, INV-00013", "inv-00012;INV-00013" and
"Payment INV-00012/INV-00013" all name both invoices; the whole "INV-00012/INV-00013" and its
`/`-separated parts are tried, so numbers like "2026/0012" still match). A token matches an
invoice number exactly, ignoring case. Nothing fuzzy: "inv 12" does not match "INV-00012" — a
guess that applies cash to the wrong invoice is worse than cash on account.

A remittance line (or a referenced invoice) that cannot be honoured never rejects the cash: the
payment is stored, the good lines are applied, and each problem is returned as a
`PostingException` with the amount it left unapplied. A line is applied in full or not at all
(a line for more than the invoice's open amount is not cut down: it usually means the invoice
was already paid, which a person should see).

Locking: every invoice any rule may touch is found first without locks, then all of them are
locked at once in id order (`services.lock_invoices`) — locking in batches per rule could take
two invoices in opposite orders in two transactions and deadlock. The payment is new, so no
other transaction can hold it. The rules then read the locked rows only: each application is
checked and staged in memory (`services.stage_application`, the one home of the rules), and
all of a posting's applications are written together (`services.save_applications`). Rollup
rows are taken last, sorted, when the posting ends (`rollup.tracking`).

Batches (`post_payments` inside `batch()`, the bulk post) work the same way with a fixed number
of statements per batch: all payments inserted, all invoices of all postings locked at once,
each posting staged in order on the shared in-memory invoices (so it sees the postings before
it), everything written together. Should the database still break a deadlock (e.g. two
clients racing with the same external id), the whole transaction is run again
(`retry_on_deadlock`).

The modules: `results` (what a posting is given and answers), `matching` (the invoices a
posting may touch, found before any lock), `applying` (the rules, staged in memory),
`posting` (the paying customer, a single post, applying and storing outcomes) and `bulk`
(batches). Import from the package: its names below are the API.
"""

from receivables.cash_application.bulk import BatchOutcome, batch, post_batch, post_payments
from receivables.cash_application.matching import MAX_REFERENCE_TOKENS, reference_tokens
from receivables.cash_application.posting import CustomerIndex, post_payment, resolve_customer
from receivables.cash_application.results import (
    INVOICE_NOT_FOUND,
    INVOICE_PAID,
    RULE_EXACT_AMOUNT,
    RULE_NONE,
    RULE_REFERENCE,
    RULE_REMITTANCE,
    PostingException,
    PostingResult,
    RemittanceLine,
)

__all__ = [
    "INVOICE_NOT_FOUND",
    "INVOICE_PAID",
    "MAX_REFERENCE_TOKENS",
    "RULE_EXACT_AMOUNT",
    "RULE_NONE",
    "RULE_REFERENCE",
    "RULE_REMITTANCE",
    "BatchOutcome",
    "CustomerIndex",
    "PostingException",
    "PostingResult",
    "RemittanceLine",
    "batch",
    "post_batch",
    "post_payment",
    "post_payments",
    "reference_tokens",
    "resolve_customer",
]
