"""API roles as Django groups, and the permissions each one holds.

`viewer` reads everything and the KPIs; `collector` also writes disputes, promises,
activities, dashboard annotations and huddle actions; `integration` also writes customers,
opportunities, orders, invoices, adjustments, payments and applications (reversing an
application, `unapply`, is a change of it); `admin` holds every permission of the domain apps
except deleting money records.

Money records are never deleted by anyone (issue 12): nobody holds `delete_` on payments,
applications or adjustments, which are reversed instead (unapply, credit note). Invoices keep
`delete_invoice` for drafts only (`receivables.services.delete_invoice` refuses an issued one,
which is voided instead). The audit trail's history models are only ever read.
"""

from django.apps import apps as global_apps

from accounts.scoping import SCOPED_GROUP

DOMAIN_APPS = (
    "accounts",
    "receivables",
    "metrics",
    "dashboard",
    "dunning",
    "integrations",
)
ROLES = ("viewer", "collector", "integration", "admin")

# Annotations and huddle actions (dashboard) are written by the people who run the huddles.
COLLECTOR_MODELS = (
    "dispute",
    "promisetopay",
    "collectionactivity",
    "annotation",
    "huddleaction",
)
# Reversed, never deleted: no role holds their `delete_` permission.
NEVER_DELETED = ("payment", "paymentapplication", "adjustment")
INTEGRATION_MODELS = (
    "customer",
    "opportunity",
    "order",
    "invoice",
    "adjustment",
    "payment",
    "paymentapplication",
)


def role_permissions(role: str, permissions: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (app_label, codename) pairs `role` holds, out of all domain permissions."""
    # The scoping mark belongs to the `own_customers` group, never to a role.
    permissions = [pair for pair in permissions if pair[1] != "own_customers_only"]
    views = {(app, code) for app, code in permissions if code.startswith("view_")}
    if role == "viewer":
        return views
    writes = ("add_", "change_")
    if role == "collector":
        return views | {
            (app, code)
            for app, code in permissions
            if code.startswith(writes) and code.split("_", 1)[1] in COLLECTOR_MODELS
        }
    if role == "integration":
        models = COLLECTOR_MODELS + INTEGRATION_MODELS
        return views | {
            (app, code)
            for app, code in permissions
            if code.startswith(writes) and code.split("_", 1)[1] in models
        }
    if role == "admin":
        return {
            (app, code)
            for app, code in permissions
            if not (app == "receivables" and code in {f"delete_{m}" for m in NEVER_DELETED})
            # The audit trail (o2c_api.audit) is read, never written by hand.
            and (code.startswith("view_") or not code.split("_", 1)[1].startswith("historical"))
        }
    raise ValueError(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.")


def sync_roles(apps=global_apps) -> None:
    """Create the role groups and give each exactly its permissions (idempotent)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    domain = list(
        permission_model.objects.filter(content_type__app_label__in=DOMAIN_APPS).values_list(
            "content_type__app_label", "codename", "pk"
        )
    )
    pk_by_pair = {(app, code): pk for app, code, pk in domain}
    for role in ROLES:
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = role_permissions(role, list(pk_by_pair))
        group.permissions.set([pk_by_pair[pair] for pair in wanted if pair in pk_by_pair])
    # Not a role: a user in it is limited to their own customers (accounts.scoping).
    scoped, _ = group_model.objects.get_or_create(name=SCOPED_GROUP)
    scoped.permissions.set(
        [pk for pair, pk in pk_by_pair.items() if pair == ("accounts", "own_customers_only")]
    )
