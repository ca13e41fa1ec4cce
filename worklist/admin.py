"""Admin: the fitted risk models (read-only) and the collector's worklist page.

The worklist page (`admin:worklist_worklist`, linked from the risk models' list) renders
`worklist.engine.worklist_page` with the same filters as the API; each line links to the
invoice and to the add forms of a collection activity and a promise to pay, pre-filled.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode

from accounts.models import SalesRep, Segment
from accounts.scoping import may_view_kpis
from o2c_api.admin import error_text
from o2c_api.money import CURRENCIES
from worklist import engine
from worklist.models import RiskModel

PAGE_SIZE = 50


@admin.register(RiskModel)
class RiskModelAdmin(admin.ModelAdmin):
    """Models are fitted by `manage.py fit_risk_model`; here they are only read."""

    list_display = (
        "id",
        "fitted_at",
        "currency",
        "training_start",
        "training_end",
        "training_rows",
        "late_share",
        "description",
    )
    readonly_fields = [f.name for f in RiskModel._meta.fields]
    change_list_template = "admin/worklist/riskmodel/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view(self.worklist_view)
        return [path("worklist/", view, name="worklist_worklist"), *super().get_urls()]

    def worklist_view(self, request):
        if not may_view_kpis(request.user):
            raise PermissionDenied
        params = request.GET
        page = None
        offset = 0
        try:
            offset = engine.page_bounds(PAGE_SIZE, params.get("offset"))[1]
            no_activity_days = engine.no_activity_days_of(params.get("no_activity_days"))
            scope, as_of = engine.scope_at(params, request.user)
            page = engine.worklist_page(
                scope,
                as_of,
                no_activity_days=no_activity_days,
                limit=PAGE_SIZE,
                offset=offset,
            )
        except ValidationError as exc:
            self.message_user(request, error_text(exc), messages.ERROR)
        rows = []
        if page is not None:
            for rank, item in enumerate(page.results, start=offset + 1):
                rows.append({"rank": rank, "item": item, "links": _links(item, page.as_of)})
        context = {
            **self.admin_site.each_context(request),
            "title": "Collections worklist",
            "opts": self.model._meta,
            "page": page,
            "rows": rows,
            "params": params,
            "reps": SalesRep.objects.order_by("name").values_list("pk", "name"),
            "segments": Segment.objects.order_by("name").values_list("pk", "name"),
            "currencies": CURRENCIES,
            "previous_url": _page_url(params, offset - PAGE_SIZE) if offset > 0 else None,
            "next_url": _page_url(params, offset + PAGE_SIZE)
            if page is not None and offset + PAGE_SIZE < page.count
            else None,
        }
        return TemplateResponse(request, "admin/worklist/worklist.html", context)


def _page_url(params, offset: int) -> str:
    query = {key: value for key, value in params.items() if key != "offset"}
    query["offset"] = max(0, offset)
    return "?" + urlencode(query)


def _links(item: engine.WorkItem, as_of) -> dict:
    """The invoice's admin page and the add forms of an activity and a promise, pre-filled."""
    kind = {"call": "call", "escalate": "note", "reminder": "reminder"}.get(item.action, "note")
    activity = {"customer": item.customer_id, "invoice": item.invoice_id, "kind": kind}
    promise = {
        "invoice": item.invoice_id,
        "amount": item.open_amount,
        "created_date": as_of.isoformat(),
    }
    return {
        "invoice": reverse("admin:receivables_invoice_change", args=[item.invoice_id]),
        "activity": reverse("admin:receivables_collectionactivity_add") + "?" + urlencode(activity),
        "promise": reverse("admin:receivables_promisetopay_add") + "?" + urlencode(promise),
    }
