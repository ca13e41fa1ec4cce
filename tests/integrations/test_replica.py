"""DATABASE_REPLICA_URL's router with two database aliases: KPI reads, lists and exports read
the replica; single objects, writes and a client's reads right after its write, the primary.

The `replica` alias is a second connection to the test database (what a streaming replica
would hold), so each query can be attributed to the alias that ran it.
"""

from datetime import date

import pytest
from django.core.cache import cache
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from accounts.roles import sync_roles
from o2c_api.routers import ReplicaRouter, _read_alias
from receivables.models import Invoice
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup, django_db_blocker):
    connections.settings["replica"] = dict(connections["default"].settings_dict)
    yield
    with django_db_blocker.unblock():
        connections["replica"].close()
    del connections["replica"]
    del connections.settings["replica"]


@pytest.fixture
def replica(settings):
    settings.O2C_REPLICA_ALIAS = "replica"
    cache.clear()
    sync_roles()  # a transactional test starts from flushed tables


def invoice_reads(alias: str, queries) -> int:
    return sum(1 for q in queries.captured_queries if '"receivables_invoice"' in q["sql"])


def reads_of(client, url: str) -> tuple[int, int]:
    """(primary, replica) queries of the invoices table while answering `url`."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as secondary,
    ):
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return invoice_reads("default", primary), invoice_reads("replica", secondary)


def test_lists_exports_and_kpis_read_the_replica_single_objects_the_primary(replica, make_client):
    invoice = InvoiceFactory()
    api = make_client("admin")
    primary, secondary = reads_of(api, "/api/v1/invoices/")
    assert (primary, secondary > 0) == (0, True)
    primary, secondary = reads_of(api, "/api/v1/invoices/?format=csv")
    assert (primary, secondary > 0) == (0, True)
    primary, secondary = reads_of(api, "/api/v1/kpis/aging/")
    assert (primary, secondary > 0) == (0, True)
    primary, secondary = reads_of(api, f"/api/v1/invoices/{invoice.pk}/")
    assert (primary > 0, secondary) == (True, 0)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/kpis/",
        "/api/v1/kpis/series/?keys=dso,cei&interval=month&start=2026-01-01&end=2026-06-30",
        "/api/v1/kpis/dso/breakdown/?group_by=rep",
        "/api/v1/kpis/aging/",
        "/api/v1/forecast/",
        "/api/v1/risk/",
        "/api/v1/worklist/",
    ],
)
def test_kpis_forecast_risk_and_worklist_read_only_the_replica(replica, make_client, url):
    """Their SQL compiled once (`o2c_api.sqlcache`) or written by hand reads the replica too:
    the primary answers only the permission lookup (accounts.backends, never lagging)."""
    InvoiceFactory(issue_date=date(2026, 1, 5))
    api = make_client("admin")
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as secondary,
    ):
        response = api.get(url)
    assert response.status_code == 200, response.content[:300]
    on_primary = [q["sql"] for q in primary.captured_queries]
    assert [sql for sql in on_primary if '"auth_permission"' not in sql] == []
    assert len(on_primary) <= 1
    assert any('"receivables_' in q["sql"] for q in secondary.captured_queries)


def test_a_clients_reads_after_its_own_write_stay_on_the_primary(replica, make_client):
    invoice = InvoiceFactory(status="draft")
    writer, other = make_client("admin"), make_client("viewer")
    response = writer.post(f"/api/v1/invoices/{invoice.pk}/issue/")
    assert response.status_code == 200
    primary, secondary = reads_of(writer, "/api/v1/invoices/")
    assert (primary > 0, secondary) == (True, 0)
    # Another client is not pinned.
    primary, secondary = reads_of(other, "/api/v1/invoices/")
    assert (primary, secondary > 0) == (0, True)
    # When the pin expires, the writer reads the replica again.
    cache.clear()
    primary, secondary = reads_of(writer, "/api/v1/invoices/")
    assert (primary, secondary > 0) == (0, True)


def test_a_refused_write_does_not_pin(replica, make_client):
    api = make_client("admin")
    assert api.post("/api/v1/invoices/", {}, format="json").status_code == 400
    primary, secondary = reads_of(api, "/api/v1/invoices/")
    assert (primary, secondary > 0) == (0, True)


def test_the_router_writes_to_the_primary_and_reads_it_inside_a_transaction(replica):
    router = ReplicaRouter()
    token = _read_alias.set("replica")
    try:
        assert router.db_for_write(Invoice) == "default"
        assert router.db_for_read(Invoice) == "replica"
        with transaction.atomic():
            assert router.db_for_read(Invoice) == "default"
    finally:
        _read_alias.reset(token)
    assert router.db_for_read(Invoice) == "default"  # outside a request: the primary
    assert router.allow_migrate("replica", "receivables") is False
    assert router.allow_migrate("default", "receivables") is True
