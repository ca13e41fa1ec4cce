from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Sum

from accounts.models import Customer, Segment
from receivables.models import Dispute, Invoice, Payment, PaymentApplication
from tests.invariants import invariant_violations

pytestmark = pytest.mark.django_db

HEADER = (
    "countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,"
    "Disputed,SettledDate,PaperlessBill,DaysToSettle,DaysLate"
)
GOOD = [
    "391,0379-NEVHP,4/6/2013,0000611365,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0",
    "406,8976-AMJEO,3/3/2012,0007900770,1/26/2013,2/25/2013,61.74,Yes,3/3/2013,Electronic,36,6",
    "391,0379-NEVHP,1/26/2012,0009231909,7/3/2013,8/2/2013,65.88,No,,Electronic,5,0",
]
SAMPLE = settings.BASE_DIR.parent / "shared" / "data" / "ibm_accounts_receivable.csv"


def write_csv(tmp_path, rows, header=HEADER, name="ar.csv"):
    path = tmp_path / name
    path.write_text("\r\n".join([header, *rows]) + "\r\n", encoding="utf-8")
    return path


def run(path, *args):
    out, err = StringIO(), StringIO()
    call_command("import_ar_csv", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_imports_customers_segments_invoices_payments_and_disputes(tmp_path, check_rollup):
    out, err = run(write_csv(tmp_path, GOOD))

    assert out == "Imported 3 rows (183.56 USD), 0 already imported, 0 rejected.\n"
    assert err == ""
    assert sorted(Segment.objects.values_list("code", "name")) == [
        ("391", "Country 391"),
        ("406", "Country 406"),
    ]
    customer = Customer.objects.get(external_id="0379-NEVHP")
    assert (customer.segment.code, customer.currency, customer.payment_terms_days) == (
        "391",
        "USD",
        30,
    )
    paid = Invoice.objects.get(number="0000611365")
    assert (paid.issue_date, paid.due_date, paid.amount, paid.status, paid.paid_date) == (
        date(2013, 1, 2),
        date(2013, 2, 1),
        Decimal("55.94"),
        "paid",
        date(2013, 1, 15),
    )
    payment = Payment.objects.get(external_id="ibm-ar:0000611365")
    assert (payment.amount, payment.unapplied_amount, payment.received_date) == (
        Decimal("55.94"),
        Decimal("0.00"),
        date(2013, 1, 15),
    )
    application = PaymentApplication.objects.get(invoice=paid)
    assert (application.applied_date, application.automatic) == (date(2013, 1, 15), True)
    unsettled = Invoice.objects.get(number="0009231909")
    assert (unsettled.status, unsettled.open_amount) == ("open", Decimal("65.88"))
    dispute = Dispute.objects.get()
    assert (dispute.invoice.number, dispute.reason, dispute.amount) == (
        "0007900770",
        "other",
        Decimal("61.74"),
    )
    assert (dispute.opened_date, dispute.resolved_date, dispute.resolution) == (
        date(2013, 1, 26),
        date(2013, 3, 3),
        "upheld",
    )
    assert Payment.objects.count() == 2
    assert invariant_violations() == []
    check_rollup()


def test_rejects_bad_rows_with_line_and_reason_and_imports_the_rest(tmp_path):
    rows = [
        GOOD[0],
        "391,0379-NEVHP,,0000000002,13/45/2013,2/1/2013,10.00,No,,Paper,0,0",
        "391,0379-NEVHP,,0000000003,1/2/2013,2/1/2013,ten,No,,Paper,0,0",
        "391,0379-NEVHP,,0000000004,1/2/2013,2/1/2013,-5.00,No,,Paper,0,0",
        "391,0379-NEVHP,,0000000005,1/2/2013,2/1/2013,5.001,No,,Paper,0,0",
        "391,,,0000000006,1/2/2013,2/1/2013,5.00,No,,Paper,0,0",
        "391,0379-NEVHP,,0000000007,1/2/2013,2/1/2013,5.00,Maybe,,Paper,0,0",
        "391,0379-NEVHP,,0000000008,1/2/2013,12/1/2012,5.00,No,,Paper,0,0",
        "391,0379-NEVHP,,0000000009,1/2/2013,2/1/2013,5.00,No,12/1/2012,Paper,0,0",
        "391,0379-NEVHP,,0000000010,1/2/2013,2/1/2013",
        GOOD[1],
    ]

    out, err = run(write_csv(tmp_path, rows))

    assert out == "Imported 2 rows (117.68 USD), 0 already imported, 9 rejected.\n"
    assert err.splitlines() == [
        "line 3: rejected: bad InvoiceDate '13/45/2013' (expected M/D/YYYY)",
        "line 4: rejected: bad InvoiceAmount 'ten'",
        "line 5: rejected: bad InvoiceAmount '-5.00' (must be > 0)",
        "line 6: rejected: bad InvoiceAmount '5.001'",
        "line 7: rejected: missing customerID",
        "line 8: rejected: bad Disputed 'Maybe' (expected Yes or No)",
        "line 9: rejected: DueDate is before InvoiceDate",
        "line 10: rejected: SettledDate is before InvoiceDate",
        "line 11: rejected: missing InvoiceAmount",
    ]
    assert sorted(Invoice.objects.values_list("number", flat=True)) == [
        "0000611365",
        "0007900770",
    ]


def test_rerun_creates_nothing_and_reports_already_imported(tmp_path, check_rollup):
    path = write_csv(tmp_path, GOOD)
    run(path)
    counts = (Invoice.objects.count(), Payment.objects.count(), Dispute.objects.count())

    out, err = run(path)

    assert out == "Imported 0 rows (0.00 USD), 3 already imported, 0 rejected.\n"
    assert (Invoice.objects.count(), Payment.objects.count(), Dispute.objects.count()) == counts
    assert counts == (3, 2, 1)
    assert Customer.objects.count() == 2
    check_rollup()


def test_a_new_file_with_some_known_invoices_imports_only_the_new_ones(tmp_path):
    run(write_csv(tmp_path, GOOD[:1], name="first.csv"))

    out, _ = run(write_csv(tmp_path, GOOD, name="second.csv"))

    assert out == "Imported 2 rows (127.62 USD), 1 already imported, 0 rejected.\n"
    assert Invoice.objects.aggregate(t=Sum("amount"))["t"] == Decimal("183.56")


def test_currency_option_sets_the_currency_of_everything(tmp_path):
    run(write_csv(tmp_path, GOOD[:2]), "--currency", "EUR")

    assert set(Invoice.objects.values_list("currency", flat=True)) == {"EUR"}
    assert set(Payment.objects.values_list("currency", flat=True)) == {"EUR"}
    assert set(Customer.objects.values_list("currency", flat=True)) == {"EUR"}


def test_missing_columns_and_unknown_currency_refuse_the_file(tmp_path):
    path = write_csv(tmp_path, GOOD, header=HEADER.replace("InvoiceAmount", "Amount"))

    with pytest.raises(CommandError, match="Missing columns: InvoiceAmount"):
        run(path)
    with pytest.raises(CommandError, match="Unknown currency 'XXX'"):
        run(write_csv(tmp_path, GOOD, name="ok.csv"), "--currency", "XXX")
    assert Invoice.objects.count() == 0
    assert Customer.objects.count() == 0


def test_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run(tmp_path / "absent.csv")


@pytest.mark.sample_data
@pytest.mark.skipif(not SAMPLE.exists(), reason="../shared/data is absent")
def test_the_ibm_sample_imports_completely_and_only_once():
    out, err = run(SAMPLE)

    assert out == "Imported 2466 rows (147703.18 USD), 0 already imported, 0 rejected.\n"
    assert err == ""
    assert Invoice.objects.count() == 2466
    assert Customer.objects.count() == 100
    assert Segment.objects.count() == 5
    assert Dispute.objects.count() == 561

    out, _ = run(SAMPLE)

    assert out == "Imported 0 rows (0.00 USD), 2466 already imported, 0 rejected.\n"
    assert (Invoice.objects.count(), Payment.objects.count()) == (2466, 2466)
    assert invariant_violations() == []


def test_new_customers_are_created_by_the_customer_service(tmp_path):
    # Given one customer already known (by its external id) and a file naming two
    from integrations.models import Event, EventType
    from tests.factories import CustomerFactory

    known = CustomerFactory(external_id="8976-AMJEO", name="Known Co")
    before = Event.objects.filter(type=EventType.CUSTOMER_CREATED).count()

    # When the file is imported
    run(write_csv(tmp_path, GOOD))

    # Then the new one was created by accounts.services.create_customer (its customer.created
    # event, as through REST, GraphQL and the admin) and the known one is reused, unchanged
    created = Customer.objects.get(external_id="0379-NEVHP")
    events = Event.objects.filter(type=EventType.CUSTOMER_CREATED).order_by("id")
    assert events.count() == before + 1
    assert (events.last().object_id, events.last().payload["external_id"]) == (
        str(created.pk),
        "0379-NEVHP",
    )
    assert Customer.objects.get(pk=known.pk).name == "Known Co"
    assert Customer.objects.count() == 2
