"""Money records are never deleted (issue 12): payments, applications, adjustments and issued
invoices are reversed (unapply, credit note, void), never deleted, by anyone, anywhere.

Every admin page and action of these models is tried, as a superuser and as the admin role;
the roles hold no delete permission on them; REST answers 405 (no such route) or 409 for an
issued invoice; GraphQL has no delete mutation.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group

from receivables import services
from receivables.models import Adjustment, Invoice, Payment, PaymentApplication
from tests.admin_helpers import admin_url
from tests.api.conftest import snapshot
from tests.factories import CustomerFactory, InvoiceFactory, PaymentFactory, UserFactory

pytestmark = pytest.mark.django_db

NEVER_DELETED = (Payment, PaymentApplication, Adjustment)


@pytest.fixture
def records():
    """An issued invoice with a credit note, a void invoice, a payment applied to it."""
    customer = CustomerFactory()
    invoice = InvoiceFactory(customer=customer, amount=Decimal("100.00"))
    void = InvoiceFactory(customer=customer, amount=Decimal("50.00"))
    services.void_invoice(void)
    adjustment = services.add_adjustment(
        invoice, kind="credit_note", amount=Decimal("10.00"), adjustment_date=date(2026, 1, 2)
    )
    payment = PaymentFactory(customer=customer, amount=Decimal("60.00"))
    application = services.apply_payment(payment, invoice, Decimal("60.00"))
    return {
        Invoice: invoice,
        "void": void,
        Adjustment: adjustment,
        Payment: payment,
        PaymentApplication: application,
    }


@pytest.fixture(params=["superuser", "admin-role"])
def staff_client(request, client, admin_user):
    """The Django admin as a superuser, and as a staff user of the admin role."""
    if request.param == "superuser":
        client.force_login(admin_user)
    else:
        user = UserFactory(username="role-admin", role="admin")
        user.is_staff = True
        user.save()
        client.force_login(user)
    return client


def action_names(changelist) -> list[str]:
    form = changelist.context["action_form"]
    return [] if form is None else [name for name, _ in form.fields["action"].choices if name]


def test_no_role_holds_a_delete_permission_on_money_records():
    held = {
        (group.name, codename)
        for group in Group.objects.prefetch_related("permissions")
        for codename in group.permissions.values_list("codename", flat=True)
        if codename.startswith("delete_")
        and codename.split("_", 1)[1] in ("payment", "paymentapplication", "adjustment")
    }

    assert held == set()
    assert Group.objects.get(name="admin").permissions.filter(codename="delete_invoice").exists()


@pytest.mark.parametrize("key", [Invoice, "void", Adjustment, Payment, PaymentApplication])
def test_delete_page_is_refused_and_deletes_nothing(staff_client, records, key):
    obj = records[key]
    url = admin_url(type(obj), "delete", obj.pk)
    before = snapshot()

    page = staff_client.get(url)
    post = staff_client.post(url, {"post": "yes"})

    assert (page.status_code, post.status_code) == (403, 403)
    assert snapshot() == before


@pytest.mark.parametrize("model", [Invoice, *NEVER_DELETED], ids=lambda m: m._meta.model_name)
def test_delete_selected_is_refused_and_deletes_nothing(staff_client, records, model):
    selected = [obj.pk for obj in records.values() if isinstance(obj, model)]
    before = snapshot()

    response = staff_client.post(
        admin_url(model, "changelist"),
        {"action": "delete_selected", "_selected_action": selected, "post": "yes"},
    )

    assert response.status_code in (200, 302, 403)  # refused, or "no such action"
    assert snapshot() == before


@pytest.mark.parametrize("model", NEVER_DELETED, ids=lambda m: m._meta.model_name)
def test_no_admin_action_or_page_offers_a_delete(staff_client, records, model):
    obj = records[model]

    changelist = staff_client.get(admin_url(model, "changelist"))
    change = staff_client.get(admin_url(model, "change", obj.pk))

    assert changelist.status_code == 200
    assert "delete_selected" not in action_names(changelist)
    assert change.status_code == 200
    assert change.context["has_delete_permission"] is False
    assert admin_url(model, "delete", obj.pk) not in change.content.decode()


def test_the_actions_of_money_admins_are_exactly_these(rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user
    actions = {
        model._meta.model_name: sorted(admin.site._registry[model].get_actions(request))
        for model in (Invoice, *NEVER_DELETED)
    }

    # Invoices: delete_selected stays for drafts (the service refuses any other).
    assert actions == {
        "invoice": ["delete_selected", "issue_invoices", "refresh_promises", "void_invoices"],
        "payment": [],
        "paymentapplication": ["unapply_applications"],
        "adjustment": [],
    }


@pytest.mark.parametrize("model", [Invoice, Payment], ids=lambda m: m._meta.model_name)
def test_inlines_of_money_pages_have_no_delete_checkbox(staff_client, records, model):
    page = staff_client.get(admin_url(model, "change", records[model].pk))

    inlines = {
        inline.formset.model._meta.model_name: inline.formset.can_delete
        for inline in page.context["inline_admin_formsets"]
    }

    deletable = {name for name, can_delete in inlines.items() if can_delete}
    assert deletable <= {"collectionactivity"}  # activities move no money


def test_draft_invoice_is_deleted_through_the_service(staff_client):
    draft = InvoiceFactory(status="draft")

    staff_client.post(admin_url(Invoice, "delete", draft.pk), {"post": "yes"})

    assert not Invoice.objects.filter(pk=draft.pk).exists()


def test_unapply_action_needs_the_change_permission(client, records):
    viewer = UserFactory(username="staff-viewer", role="viewer")
    viewer.is_staff = True
    viewer.save()
    client.force_login(viewer)
    application = records[PaymentApplication]

    page = client.get(admin_url(PaymentApplication, "changelist"))
    client.post(
        admin_url(PaymentApplication, "changelist"),
        {"action": "unapply_applications", "_selected_action": [application.pk]},
    )

    assert action_names(page) == []
    assert PaymentApplication.objects.filter(pk=application.pk).exists()


@pytest.mark.parametrize(
    ("resource", "key", "status"),
    [
        ("payments", Payment, 405),
        ("applications", PaymentApplication, 405),
        ("adjustments", Adjustment, 405),
        ("invoices", Invoice, 409),
        ("invoices", "void", 409),
    ],
)
def test_rest_delete_is_refused_and_deletes_nothing(api, records, resource, key, status):
    before = snapshot()

    response = api.delete(f"/api/v1/{resource}/{records[key].pk}/")

    assert response.status_code == status
    assert snapshot() == before


def test_graphql_has_no_delete_mutation():
    from o2c_api.schema import schema

    mutations = schema._schema.mutation_type.fields
    assert [name for name in mutations if name.lower().startswith(("delete", "remove"))] == []
