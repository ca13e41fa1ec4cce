from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from metrics.models import KPIRollup
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


def _rollup_rows() -> list[tuple]:
    return sorted(KPIRollup.objects.values_list("day", "rep_key", "segment_key", "product_line"))


def test_rebuild_ar_rollup_restores_a_damaged_rollup(check_rollup):
    InvoiceFactory(amount=Decimal("100.00"), issue_date=date(2026, 1, 1))
    InvoiceFactory(amount=Decimal("50.00"), issue_date=date(2026, 1, 2))
    KPIRollup.objects.filter(rep_key=-1).delete()
    out = StringIO()

    call_command("rebuild_ar_rollup", stdout=out)

    # KPI rollup: 2 days × 5 keys (full dimensions, all, rep, segment, product line) of the
    # day's facts, and the same for the two invoices' not-yet-due rows by due date.
    assert out.getvalue() == "Rebuilt the KPI rollup: 20 rows.\n"
    check_rollup()


def test_check_says_an_intact_rollup_equals_its_recomputation():
    InvoiceFactory(amount=Decimal("100.00"), issue_date=date(2026, 1, 1))
    before = _rollup_rows()
    out = StringIO()

    call_command("rebuild_ar_rollup", "--check", stdout=out)

    assert out.getvalue() == "The KPI rollup equals a recomputation from the source rows.\n"
    assert _rollup_rows() == before


def test_check_lists_the_keys_of_a_damaged_rollup_fails_and_repairs_nothing():
    invoice = InvoiceFactory(amount=Decimal("100.00"), issue_date=date(2026, 1, 1))
    KPIRollup.objects.filter(rep_key=-1, segment_key=-1, product_line="*").delete()
    before = _rollup_rows()
    out = StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("rebuild_ar_rollup", "--check", stdout=out)

    # The "everything" row of the issue day and of the day after the due date (AR leaving
    # "current"), both gone.
    assert str(raised.value) == (
        "The KPI rollup differs from a recomputation on 2 keys (day, rep, segment, product "
        "line, currency); `manage.py rebuild_ar_rollup` repairs it."
    )
    day_after_due = invoice.due_date + timedelta(days=1)
    assert out.getvalue() == (
        f"2026-01-01 -1 -1 * {invoice.currency}\n{day_after_due} -1 -1 * {invoice.currency}\n"
    )
    assert _rollup_rows() == before
