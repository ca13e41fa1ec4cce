"""Template filters of the admin pages: money with its currency, dates in the locale."""

from django import template

from o2c_api import admin as o2c_admin

register = template.Library()


@register.filter
def money(amount, currency: str) -> str:
    """`{{ invoice.open_amount|money:invoice.currency }}` → `1,250.00 USD`."""
    return o2c_admin.money(amount, currency)


@register.filter
def shown_date(value) -> str:
    """A date, or a timestamp in the project's time zone, as the admin's columns show it."""
    return o2c_admin.shown_date(value)
