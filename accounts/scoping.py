"""Object-level scoping (issue 12, OWASP API1 "broken object level authorization").

A user in the `own_customers` group (`SCOPED_GROUP`) is limited to their own customers: those
whose sales rep is the user's `SalesRep` (the rep's book) and those assigned to the user
(`CustomerAssignment`). Every other user (viewer, collector, integration, admin without the
group, superusers) sees every customer, as before. The group holds no permission: it narrows
what the role's permissions reach.

What a scoped user gets:
- lists, details and CSV exports of customers and of everything that belongs to a customer
  (opportunities, orders, invoices, adjustments, payments, applications, disputes, promises,
  activities) hold only their customers' rows; another customer's row is a 404, as if absent;
- writes may name only their customers' rows (another one is a 400 `does_not_exist`);
- the same in GraphQL (lists, single objects, relations) and on the admin's pages;
- the reports (KPI summary, series, breakdowns, aging, time to invoice, reminder funnel, the
  dashboard, the cash outlook, the dunning reports, the risk list and the worklist) are
  computed over their customers only:
  the same numbers as the same report over exactly those customers. The scope carries the
  user (`metrics.scope.Scope.customers_of`), every query filters by `own_customers` (one
  subquery on the user's id), and the KPI rollup, which has no customer key, is not used:
  the engine reads the source rows of their customers. Another customer named as a filter
  is unknown to them (400 `unknown_customer`), as their lists answer it;
- the risk backtest, a measure of the score over every customer's history, is refused (403 /
  `permission_denied`): a scoped user's role grants `metrics.view_kpis` as
  `NARROWED_KPI_PERMISSION` instead (`accounts.backends.RoleBackend`), which the narrowed
  reports accept (`may_view_kpis`) and the backtest does not.

Segments and sales reps are not customer data: they stay readable.

The event feed, webhook deliveries and the audit trail's history rows are narrowed the same
way (an event by the customer it was recorded for; events of no customer, the KPI status
changes, are a report over every customer and are not shown to a scoped user).
"""

from django.db.models import QuerySet

SCOPED_GROUP = "own_customers"
# The group's one permission: read with the user's other permissions (one query, cached per
# request by accounts.backends.RoleBackend), it marks the user as scoped.
SCOPED_PERMISSION = "accounts.own_customers_only"
# Reading the KPIs and the reports built on them (viewer and above).
KPI_PERMISSION = "metrics.view_kpis"
# A scoped user holds the KPI permission of their role in this form (accounts.backends): the
# reports narrowed to their customers accept it, those that are not (worklist, risk) refuse.
NARROWED_KPI_PERMISSION = "metrics.view_own_customers_kpis"

# How each scoped model reaches its customer (a lookup path; "pk" for Customer itself).
CUSTOMER_PATHS = {
    "accounts.customer": "pk",
    "accounts.opportunity": "customer",
    "receivables.order": "customer",
    "receivables.invoice": "customer",
    "receivables.adjustment": "invoice__customer",
    "receivables.payment": "customer",
    "receivables.paymentapplication": "payment__customer",
    "receivables.dispute": "invoice__customer",
    "receivables.promisetopay": "customer",
    "receivables.collectionactivity": "customer",
    "dunning.playbookaction": "invoice__customer",
    "dunning.credithold": "customer",
    # The event feed and webhook log: an event's customer is set when it is recorded
    # (integrations.events); events of no customer (KPI status changes) are not shown.
    "integrations.event": "customer",
    "integrations.webhookdelivery": "event__customer",
}


def is_scoped(user) -> bool:
    """Whether `user` is limited to their own customers (no query beyond the permissions')."""
    if user is None or not user.is_authenticated or user.is_superuser:
        return False
    return SCOPED_PERMISSION in user.get_all_permissions()


def may_view_kpis(user) -> bool:
    """Whether `user` may read the reports narrowed to their customers (every customer's for
    an unscoped user): the KPI permission, in either form (no query beyond the permissions')."""
    if user is None or not user.is_authenticated:
        return False
    return user.has_perm(KPI_PERMISSION) or user.has_perm(NARROWED_KPI_PERMISSION)


def own_customers(user) -> QuerySet:
    """The ids of `user`'s customers (their rep's book and their assignments), as a subquery.

    `user` is a user or a user's id (the KPI scope holds the id: `o2c_api.sqlcache` compiles
    a report's SQL once, with the id as its one value).

    A UNION of the two ways a customer is theirs, each an indexed lookup the planner can
    count: one query joining both (`rep.user = u OR assignment.user = u` over LEFT JOINs) was
    estimated at every customer, and PostgreSQL read a report's whole ledger to cut it (at 1M
    invoices, a month's KPIs of 100 assigned customers took 12 s instead of about 0.1 s).
    """
    from accounts.models import Customer, CustomerAssignment

    # No ordering anywhere: the models' default orders have no place in a UNION.
    return (
        Customer.objects.filter(rep__user=user)
        .values("pk")
        .order_by()
        .union(CustomerAssignment.objects.filter(user=user).values("customer_id").order_by())
        .order_by()
    )


def own_customer_ids(user) -> list[int] | None:
    """The ids of a scoped user's customers (one query); None for a user who sees all."""
    if not is_scoped(user):
        return None
    return sorted(row["pk"] for row in own_customers(user))


def customer_path(model) -> str | None:
    """The lookup from `model` to its customer, None for a model that has none.

    The audit trail's historical models (django-simple-history, `instance_type` is the
    audited model) reach it as the audited model does; their `pk` is the history row's, so a
    historical customer goes by `id`.
    """
    path = CUSTOMER_PATHS.get(model._meta.label_lower)
    audited = getattr(model, "instance_type", None)
    if path is None and audited is not None:
        path = CUSTOMER_PATHS.get(audited._meta.label_lower)
        return "id" if path == "pk" else path
    return path


def scope(queryset: QuerySet, user) -> QuerySet:
    """`queryset` narrowed to `user`'s customers when the user is scoped (else unchanged).

    One subquery, not a list of ids: the query count of a list does not change.
    """
    path = customer_path(queryset.model)
    if path is None or not is_scoped(user):
        return queryset
    return queryset.filter(**{f"{path}__in": own_customers(user)})
