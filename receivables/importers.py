"""Import of IBM's accounts receivable sample format (one settled-or-open invoice per row).

Columns used: countryCode, customerID, invoiceNumber, InvoiceDate, DueDate, InvoiceAmount,
Disputed (Yes/No), SettledDate (empty when unpaid). Dates are M/D/YYYY. Each row becomes:

- a Segment per country code (code = the country code, name "Country <code>");
- a Customer per customerID (`external_id` = customerID), created by
  `accounts.services.create_customer` unless one with that external id exists;
- an Invoice (`services.create_invoice`, number = invoiceNumber, dates from the file);
- when settled, a Payment of the full amount received on the settle date, external id
  `ibm-ar:<invoiceNumber>`, applied in full on that date (`services.apply_payment`);
- when Disputed = Yes, a Dispute of the full amount (reason `other`) opened on the invoice date
  and, when settled, resolved (`upheld`) on the settle date.

A row is all-or-nothing (one savepoint). Invoice numbers that already exist are skipped and
reported as already imported, so re-running an import never duplicates anything.
"""

import csv
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import services as accounts_services
from accounts.models import Customer, Segment
from o2c_api.money import CURRENCIES, to_money
from receivables import services
from receivables.models import Dispute, Invoice

REQUIRED_COLUMNS = (
    "countryCode",
    "customerID",
    "invoiceNumber",
    "InvoiceDate",
    "DueDate",
    "InvoiceAmount",
    "Disputed",
    "SettledDate",
)
# Rows per transaction: one commit per batch keeps SQLite fast; each row has its own savepoint.
BATCH_ROWS = 500


@dataclass
class ImportReport:
    """Outcome of an import: rows imported, rows already present, and rejected rows."""

    imported: int = 0
    already_imported: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    amount: Decimal = Decimal("0.00")


class ImportFileError(Exception):
    """The file as a whole cannot be imported (unreadable, missing columns)."""


@dataclass(frozen=True)
class _Row:
    line: int
    country: str
    customer_id: str
    number: str
    issue_date: date
    due_date: date
    amount: Decimal
    disputed: bool
    settled_date: date | None


class _RowError(Exception):
    pass


def _date(row: dict, column: str, required: bool = True) -> date | None:
    text = (row.get(column) or "").strip()
    if not text:
        if required:
            raise _RowError(f"missing {column}")
        return None
    try:
        return datetime.strptime(text, "%m/%d/%Y").date()  # noqa: DTZ007 (a date, no time)
    except ValueError as exc:
        raise _RowError(f"bad {column} {text!r} (expected M/D/YYYY)") from exc


def _parse(line: int, row: dict) -> _Row:
    if None in row:
        raise _RowError("more cells than columns")
    for column in ("countryCode", "customerID", "invoiceNumber", "InvoiceAmount", "Disputed"):
        if not (row.get(column) or "").strip():
            raise _RowError(f"missing {column}")
    text = row["InvoiceAmount"].strip()
    try:
        amount = to_money(text)
    except ValidationError as exc:
        raise _RowError(f"bad InvoiceAmount {text!r}") from exc
    if amount <= 0:
        raise _RowError(f"bad InvoiceAmount {text!r} (must be > 0)")
    disputed = row["Disputed"].strip().lower()
    if disputed not in ("yes", "no"):
        raise _RowError(f"bad Disputed {row['Disputed']!r} (expected Yes or No)")
    issue_date = _date(row, "InvoiceDate")
    due_date = _date(row, "DueDate")
    settled_date = _date(row, "SettledDate", required=False)
    if due_date < issue_date:
        raise _RowError("DueDate is before InvoiceDate")
    if settled_date is not None and settled_date < issue_date:
        raise _RowError("SettledDate is before InvoiceDate")
    return _Row(
        line=line,
        country=row["countryCode"].strip(),
        customer_id=row["customerID"].strip(),
        number=row["invoiceNumber"].strip(),
        issue_date=issue_date,
        due_date=due_date,
        amount=amount,
        disputed=disputed == "yes",
        settled_date=settled_date,
    )


class _Importer:
    def __init__(self, currency: str):
        self.currency = currency
        self.segments: dict[str, Segment] = {}
        self.customers: dict[str, Customer] = {}

    def segment(self, code: str) -> Segment:
        if code not in self.segments:
            self.segments[code], _ = Segment.objects.get_or_create(
                code=code, defaults={"name": f"Country {code}"}
            )
        return self.segments[code]

    def customer(self, row: _Row) -> Customer:
        if row.customer_id not in self.customers:
            # A new customer through its service, as every other path creates one (its
            # validation and its `customer.created` event).
            self.customers[row.customer_id] = Customer.objects.filter(
                external_id=row.customer_id
            ).first() or accounts_services.create_customer(
                external_id=row.customer_id,
                name=f"Customer {row.customer_id}",
                segment=self.segment(row.country),
                currency=self.currency,
                payment_terms_days=max(0, (row.due_date - row.issue_date).days),
            )
        return self.customers[row.customer_id]

    def write(self, row: _Row, customer: Customer) -> None:
        if customer.currency != self.currency:
            raise _RowError(
                f"customer {row.customer_id} bills in {customer.currency}, not {self.currency}"
            )
        invoice = services.create_invoice(
            customer=customer,
            number=row.number,
            issue_date=row.issue_date,
            due_date=row.due_date,
            amount=row.amount,
            currency=self.currency,
        )
        dispute = None
        if row.disputed:
            dispute = services.open_dispute(
                invoice, reason=Dispute.Reason.OTHER, amount=row.amount, opened_date=row.issue_date
            )
        if row.settled_date is not None:
            payment = services.record_payment(
                customer=customer,
                amount=row.amount,
                received_date=row.settled_date,
                currency=self.currency,
                reference=f"Settlement of invoice {row.number}",
                external_id=f"ibm-ar:{row.number}",
            )
            services.apply_payment(
                payment, invoice, row.amount, applied_date=row.settled_date, automatic=True
            )
            if dispute is not None:
                services.resolve_dispute(
                    dispute, resolution=Dispute.Resolution.UPHELD, resolved_date=row.settled_date
                )


def _message(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(e.messages)}" for field, e in error.error_dict.items()
        )
    return " ".join(error.messages)


def import_ar_csv(path: Path | str, currency: str = "USD") -> ImportReport:
    """Import an IBM AR sample file; see the module docstring for the mapping.

    Args:
        path: the CSV file (UTF-8, optional BOM, any line endings).
        currency: the currency of every invoice and payment in the file.

    Returns:
        An ImportReport; rejected rows carry their line number (header = line 1) and reason.

    Raises:
        ImportFileError: unknown currency, unreadable file, or required columns missing.
    """
    if currency not in CURRENCIES:
        raise ImportFileError(f"Unknown currency {currency!r}.")
    report = ImportReport()
    importer = _Importer(currency)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise ImportFileError(f"Missing columns: {', '.join(missing)}.")
            existing = set(Invoice.objects.values_list("number", flat=True))
            batch: list[tuple[int, dict]] = []
            for row in reader:
                batch.append((reader.line_num, row))
                if len(batch) == BATCH_ROWS:
                    _import_batch(batch, importer, existing, report)
                    batch = []
            _import_batch(batch, importer, existing, report)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ImportFileError(f"Cannot read {path}: {exc}") from exc
    return report


def _import_batch(batch, importer: _Importer, existing: set[str], report: ImportReport) -> None:
    with transaction.atomic():
        for line, raw in batch:
            try:
                row = _parse(line, raw)
                if row.number in existing:
                    report.already_imported += 1
                    continue
                # Outside the row's savepoint: a rolled-back row must not leave a cached
                # customer that no longer exists.
                customer = importer.customer(row)
                with transaction.atomic():
                    importer.write(row, customer)
            except _RowError as exc:
                report.rejected.append((line, str(exc)))
            except ValidationError as exc:
                report.rejected.append((line, _message(exc)))
            else:
                existing.add(row.number)
                report.imported += 1
                report.amount += row.amount
