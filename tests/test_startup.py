"""What a serving process does once the application is loaded (o2c_api/startup.py)."""

import gc

from django.urls import get_resolver

from o2c_api import startup


def test_settle_loads_every_view_and_freezes_what_is_loaded():
    try:
        startup.settle()
        assert "url_patterns" in get_resolver().__dict__  # the URLconf and its views loaded
        assert gc.get_freeze_count() > 10_000  # out of the collector's generations
    finally:
        gc.unfreeze()
