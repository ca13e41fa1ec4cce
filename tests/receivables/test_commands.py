from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounts import tokens
from receivables import services
from receivables.models import Invoice, PromiseToPay
from tests.factories import CustomerFactory, InvoiceFactory
from tests.invariants import invariant_violations

pytestmark = pytest.mark.django_db


def test_refresh_promise_statuses_breaks_promises_past_their_date():
    today = services.today()
    invoice = InvoiceFactory(amount=Decimal("100.00"), issue_date=today - timedelta(days=40))
    promise = services.create_promise(
        invoice,
        created_date=today - timedelta(days=10),
        promised_date=today - timedelta(days=1),
        amount=Decimal("100.00"),
    )
    PromiseToPay.objects.filter(pk=promise.pk).update(status="open")  # as yesterday's job left it
    out = StringIO()

    call_command("refresh_promise_statuses", stdout=out)

    promise.refresh_from_db()
    assert promise.status == "broken"
    assert out.getvalue() == "Refreshed 1 promises: 0 open, 0 kept, 1 broken.\n"


def test_demo_without_serving_seeds_and_prints_a_working_login():
    out = StringIO()

    call_command("demo", no_serve=True, customers=4, stdout=out)

    text = out.getvalue()
    admin = get_user_model().objects.get(username="admin")
    password = text.split("password ")[1].split()[0]
    token = text.split("API token:  ")[1].split()[0]
    assert admin.is_superuser
    assert admin.check_password(password)
    assert admin.groups.filter(name="admin").exists()
    assert tokens.authenticate(token).user == admin  # the printed key is the stored digest's
    assert Invoice.objects.count() == 80
    assert invariant_violations() == []


def test_demo_does_not_seed_twice_and_gives_a_new_password():
    call_command("demo", no_serve=True, customers=2, stdout=StringIO())
    out = StringIO()

    call_command("demo", no_serve=True, customers=2, stdout=out)

    assert "not seeding" in out.getvalue()
    assert Invoice.objects.count() == 40
    password = out.getvalue().split("password ")[1].split()[0]
    assert get_user_model().objects.get(username="admin").check_password(password)


def test_admin_login_works_on_the_admin_site(client):
    CustomerFactory()
    out = StringIO()
    call_command("demo", no_serve=True, customers=1, stdout=out)
    password = out.getvalue().split("password ")[1].split()[0]

    # Through the admin's login form, as a person signs in (django-axes watches it).
    login = client.post("/admin/login/", {"username": "admin", "password": password})

    assert login.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize(
    ("flags", "expected"),
    [({}, ["worker up", "serve", "worker down"]), ({"no_worker": True}, ["serve"])],
)
def test_demo_serves_with_the_background_worker_beside_it(monkeypatch, flags, expected):
    """`make demo` (`manage.py demo`) runs the worker for as long as it serves; the worker
    process itself is tests/test_serve.py's (`background_worker`)."""
    import contextlib
    import signal

    from django.core.management.commands import runserver

    from receivables.management.commands import demo

    steps = []

    @contextlib.contextmanager
    def worker():
        steps.append("worker up")
        yield type("Process", (), {"pid": 4242})()
        steps.append("worker down")

    monkeypatch.setattr(demo, "background_worker", worker)
    monkeypatch.setattr(runserver.Command, "handle", lambda self, *a, **o: steps.append("serve"))
    monkeypatch.setattr(signal, "signal", lambda *args: None)
    out = StringIO()

    call_command("demo", customers=1, stdout=out, **flags)

    assert steps == expected
    assert ("Worker:     pid 4242 (manage.py run_worker)" in out.getvalue()) == (not flags)
