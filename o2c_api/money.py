"""Money and currency helpers shared by every app."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from receivables.errors import ErrorCode

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# ISO 4217 codes accepted for documents. A short, explicit list: a typo such as "UDS" is
# refused instead of silently opening a new currency bucket in every KPI.
CURRENCIES = (
    "AUD", "BRL", "CAD", "CHF", "CNY", "CZK", "DKK", "EUR", "GBP", "HKD", "INR", "JPY",
    "KRW", "MXN", "NOK", "NZD", "PLN", "SEK", "SGD", "USD", "ZAR",
)  # fmt: skip
CURRENCY_CHOICES = [(code, code) for code in CURRENCIES]


def base_currency() -> str:
    return settings.O2C_BASE_CURRENCY


def money_field(**kwargs) -> models.DecimalField:
    """A DecimalField(18, 2): the one shape of every amount in the service."""
    return models.DecimalField(max_digits=18, decimal_places=2, **kwargs)


def currency_field(**kwargs) -> models.CharField:
    kwargs.setdefault("default", base_currency)
    return models.CharField(max_length=3, choices=CURRENCY_CHOICES, **kwargs)


def summed(value) -> Decimal:
    """A SUM of amounts as the database answers it, to the cent: PostgreSQL a Decimal, SQLite
    a float (read through its shortest repr); NULL (nothing summed) is zero."""
    if value is None:
        return ZERO
    if not isinstance(value, Decimal):
        value = Decimal(repr(value))
    return value.quantize(CENT)


def to_money(value) -> Decimal:
    """Parse a positive-or-zero amount with at most two decimals, or raise ValidationError.

    Raises:
        ValidationError: invalid_amount, receivables' code for an amount it cannot book (the
            services' check and the payment's constraint answer it too).
    """
    try:
        amount = Decimal(str(value))
    except ArithmeticError as exc:
        raise ValidationError("Not a valid amount.", code=ErrorCode.INVALID_AMOUNT) from exc
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise ValidationError("Amounts have at most two decimals.", code=ErrorCode.INVALID_AMOUNT)
    return amount.quantize(CENT)
