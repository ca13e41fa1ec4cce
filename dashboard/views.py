"""The server-rendered pages: landing page, KPI dashboard, drilldowns, huddle actions.

Every number comes from the KPI engine (`metrics.engine`), as for REST and GraphQL; these
views only choose the scope, lay the results out and draw them. Each page costs a fixed
number of queries whatever the data (tests/dashboard/test_query_counts.py).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from accounts.models import Customer, SalesRep, Segment
from accounts.scoping import may_view_kpis
from dashboard import charts, services, stored
from dashboard.filters import PRESETS, Filters, parse_filters
from dashboard.models import Annotation, HuddleAction
from metrics import engine
from metrics.aging import Aging
from metrics.definitions import KPIS
from metrics.glossary import GlossaryEntry
from metrics.results import KPIValue, Summary
from metrics.scope import INTERVALS, Period, Scope, today
from metrics.thresholds import format_number, rendered, unit_suffix, worsened
from o2c_api.admin import error_text
from o2c_api.money import CURRENCIES, ZERO
from outlook import forecast
from receivables import predicates
from receivables.models import Invoice
from worklist import engine as worklist
from worklist import risk

# The tiles, in reading order: cash first, then the process KPIs that drive it.
HEADLINE = (
    "ar_balance",
    "past_due_ar",
    "dso",
    "cei",
    "first_pass_yield",
    "dispute_rate",
    "cash_application_match_rate",
)
STATUS_LABELS = {"green": "On target", "amber": "Watch", "red": "Off target", None: "No target"}
GROUP_LABELS = {
    "rep": "Rep",
    "segment": "Segment",
    "product_line": "Product line",
    "customer": "Customer",
}
BUCKET_LABELS = {
    "current": "Not yet due",
    "1_30": "1–30 days",
    "31_60": "31–60 days",
    "61_90": "61–90 days",
    "over_90": "Over 90 days",
}
# KPIs about the invoices issued in the period drill down to those; the others to the
# invoices open at the period's end.
ISSUED_KPIS = {"first_pass_yield", "dispute_rate", "time_to_invoice_days"}
INVOICE_ROWS = 200
OPEN_ACTIONS = 50
WORKLIST_ROWS = 10  # the worklist panel: the top lines; the admin's worklist page has the rest
PANEL_EXPORTS = ("outlook", "worklist", "risk")


# --- access and helpers --------------------------------------------------------------------


def kpi_viewer_only(view):
    """Logged-in users with the KPI permission (viewer role and above); others to the login.

    A user limited to their own customers sees the dashboard of those (accounts.scoping):
    every figure, drilldown and export is computed over their customers only.
    """

    def wrapped(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not may_view_kpis(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def shown(value: Decimal | None, unit: str, currency: str) -> str:
    """A KPI value as a person reads it: `48.9 days`, `12,500.00 USD`, `—` without a value."""
    if value is None:
        return "—"
    return f"{format_number(value, unit)}{unit_suffix(unit, currency)}"


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> HttpResponse:
    """A CSV download; Decimals are written exactly (no rounding, no thousands separator)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(["" if cell is None else cell for cell in row] for row in rows)
    return response


def invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    """A page that names what is wrong with the URL's filters (400), with a way back."""
    return render(
        request,
        "dashboard/invalid.html",
        {"message": error_text(error), "codes": sorted(_codes(error))},
        status=400,
    )


def _codes(error: ValidationError) -> set[str]:
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


def filter_options() -> dict:
    """The choices of the filter bar: reps, segments, product lines (three queries)."""
    return {
        "reps": list(SalesRep.objects.order_by("name").values_list("pk", "name")),
        "segments": list(Segment.objects.order_by("name").values_list("pk", "name")),
        "product_lines": engine.product_lines(),
        "currencies": CURRENCIES,
        "presets": PRESETS,
        "intervals": INTERVALS,
    }


def visible_notes(filters: Filters, period: Period) -> list[Annotation]:
    """The annotations drawn on this view's charts: everyone's, and those of the filtered
    rep or segment (all of them when the view is not filtered by rep or segment)."""
    scope = filters.scope
    notes = Annotation.objects.filter(note_date__gte=period.start, note_date__lte=period.end)
    if scope.rep is not None:
        notes = notes.filter(Q(rep__isnull=True) | Q(rep=scope.rep))
    if scope.segment is not None:
        notes = notes.filter(Q(segment__isnull=True) | Q(segment=scope.segment))
    return list(notes.select_related("rep", "segment"))


def note_label(note: Annotation) -> str:
    who = [n.name for n in (note.rep, note.segment) if n is not None]
    return f"{note.text} ({', '.join(who)})" if who else note.text


@dataclass(frozen=True)
class Tile:
    """One headline KPI as the dashboard shows it."""

    key: str
    label: str
    value: str
    previous: str
    change: str
    arrow: str
    direction: str  # "better", "worse" or "" (no direction or no change)
    status: str | None
    status_label: str
    explanation: str
    owner: str
    playbook_url: str
    raw: KPIValue


def tiles(summary: Summary, glossary: dict[str, GlossaryEntry], keys: Sequence[str]) -> list[Tile]:
    currency = summary.scope.currency
    result = []
    for key in keys:
        kpi = summary.kpis[key]
        entry = glossary[key]
        change = kpi.change
        if change is None or change == 0:
            arrow, direction = ("→" if change == 0 else ""), ""
        else:
            arrow = "▲" if change > 0 else "▼"
            if kpi.better is None:
                direction = ""
            else:
                direction = "worse" if worsened(change, kpi.better) else "better"
        result.append(
            Tile(
                key=key,
                label=entry.label,
                value=shown(kpi.value, kpi.unit, currency),
                previous=shown(kpi.previous, kpi.unit, currency),
                change="—" if change is None else shown(abs(change), kpi.unit, currency),
                arrow=arrow,
                direction=direction,
                status=kpi.status,
                status_label=STATUS_LABELS[kpi.status],
                explanation=entry.explanation,
                owner=entry.owner,
                playbook_url=entry.playbook_url,
                raw=kpi,
            )
        )
    return result


@dataclass(frozen=True)
class Trend:
    key: str
    label: str
    unit: str
    chart: charts.LineChart
    points: tuple[tuple[Period, Decimal | None], ...]


def trends(filters: Filters, keys: Sequence[str], notes: Sequence[Annotation]) -> list[Trend]:
    """One line per KPI over the trend span: every KPI's blocks once for all sub-periods."""
    span, periods = filters.trend_period, filters.trend_periods
    values = engine.compute(filters.scope.with_period(span), keys, periods)
    marks = [(note.note_date, note_label(note)) for note in notes]
    result = []
    for key in keys:
        kpi = KPIS[key]
        points = tuple((p, values[(key, None, k)]) for k, p in enumerate(periods, start=1))
        result.append(
            Trend(
                key, kpi.label, kpi.unit, charts.line_chart(span, points, kpi.unit, marks), points
            )
        )
    return result


# --- landing page --------------------------------------------------------------------------


def landing(request: HttpRequest) -> HttpResponse:
    """What the service is, and the links a newcomer needs."""
    return render(request, "dashboard/landing.html", {"kpis": list(KPIS.values())})


# --- the dashboard -------------------------------------------------------------------------


class ActionForm(forms.Form):
    title = forms.CharField(max_length=200, label="Action")
    owner = forms.CharField(max_length=200)
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    definition_of_done = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    kpi = forms.CharField(required=False, widget=forms.HiddenInput)
    context = forms.CharField(max_length=300, required=False, widget=forms.HiddenInput)


class AnnotationForm(forms.Form):
    note_date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    text = forms.CharField(max_length=200, label="Note")
    rep = forms.ModelChoiceField(
        SalesRep.objects.order_by("name"), required=False, empty_label="Every rep"
    )
    segment = forms.ModelChoiceField(
        Segment.objects.order_by("name"), required=False, empty_label="Every segment"
    )


@kpi_viewer_only
def overview(request: HttpRequest) -> HttpResponse:
    """Tiles, what changed, trend lines with annotations, aging with its activity heatmap,
    and the open huddle actions, for the filters in the URL."""
    try:
        filters = parse_filters(request.GET, request.user)
        # Every KPI, so that "what changed" misses none; the tiles show the headline ones.
        summary = engine.summary(filters.scope)
    except ValidationError as error:
        return invalid(request, error)
    export = request.GET.get("export")
    glossary = {entry.key: entry for entry in engine.glossary()}
    if export == "kpis":
        return _export_kpis(summary, glossary)
    if export in PANEL_EXPORTS:
        return PANEL_EXPORTERS[export](panels(filters, summary.currencies))
    notes = visible_notes(filters, filters.trend_period)
    trend_lines = trends(filters, HEADLINE, notes)
    if export == "trends":
        return _export_trends(trend_lines)
    aging = engine.aging(filters.scope)
    if export == "aging":
        return _export_aging(aging)
    actions = list(HuddleAction.objects.filter(status=HuddleAction.Status.OPEN)[:OPEN_ACTIONS])
    if export == "actions":
        return _export_actions(actions)
    scope = filters.scope
    return render(
        request,
        "dashboard/overview.html",
        {
            "filters": filters,
            "scope": scope,
            "options": filter_options(),
            "summary": summary,
            "tiles": tiles(summary, glossary, HEADLINE),
            "trends": trend_lines,
            "notes": notes,
            "aging": aging_view(aging, scope.currency),
            "actions": actions,
            "panels_url": f"{reverse('dashboard:panels')}?{filters.query()}",
            "action_form": ActionForm(),
            "annotation_form": AnnotationForm(
                initial={"note_date": scope.end, "rep": scope.rep, "segment": scope.segment}
            ),
            "can_write_actions": request.user.has_perm("dashboard.add_huddleaction"),
            "can_change_actions": request.user.has_perm("dashboard.change_huddleaction"),
            "can_annotate": request.user.has_perm("dashboard.add_annotation"),
        },
    )


@kpi_viewer_only
def panels_page(request: HttpRequest) -> HttpResponse:
    """The cash outlook, worklist and risk panels for the filters in the URL.

    The overview loads them after it is shown (`dashboard/panels.js`), so its tiles, trends
    and aging do not wait for them: the scoring reads every open invoice, and a forecast not
    yet stored reads a year of cash applied (seconds at 1M invoices). Asked by that script
    (header `X-Dashboard-Fragment`), the panels alone;
    opened as a page (without JavaScript), the panels with the dashboard's layout.
    """
    try:
        filters = parse_filters(request.GET, request.user)
        currencies = engine.currencies(filters.scope)
    except ValidationError as error:
        return invalid(request, error)
    panel = panels(filters, currencies)
    export = request.GET.get("export")
    if export in PANEL_EXPORTS:
        return PANEL_EXPORTERS[export](panel)
    fragment = request.headers.get("X-Dashboard-Fragment") == "1"
    return render(
        request,
        "dashboard/_panels.html" if fragment else "dashboard/panels.html",
        {"filters": filters, "scope": filters.scope, "panels": panels_view(panel, filters)},
    )


def aging_view(aging: Aging, currency: str) -> dict:
    """Bars for the amounts and a heatmap of the follow-up per bucket.

    The heatmap's cells are shaded by the share of invoices without any collection activity,
    so the untouched past-due money stands out.
    """
    bars = charts.bars([(BUCKET_LABELS[b.bucket], b.amount) for b in aging.buckets])
    rows = []
    for bucket, bar in zip(aging.buckets, bars, strict=True):
        untouched = (
            Decimal(bucket.invoices_without_activity) / bucket.invoice_count
            if bucket.invoice_count
            else Decimal(0)
        )
        per_invoice = (
            Decimal(bucket.activity_count) / bucket.invoice_count if bucket.invoice_count else None
        )
        rows.append(
            {
                "bucket": bucket,
                "label": BUCKET_LABELS[bucket.bucket],
                "bar": bar,
                "amount": shown(bucket.amount, "money", currency),
                "untouched_share": format_number(untouched * 100, "%"),
                # Opacity of the heat colour: the share without follow-up, at least faintly;
                # invoices not yet due are not expected to have any, so they stay neutral.
                "heat": f"{0.08 + 0.8 * float(untouched):.2f}"
                if bucket.bucket != "current"
                else "",
                "per_invoice": "—" if per_invoice is None else format_number(per_invoice, "days"),
                "past_due": bucket.bucket != "current",
            }
        )
    return {"as_of": aging.as_of, "total": shown(aging.total, "money", currency), "rows": rows}


# --- cash outlook, worklist and risk panels --------------------------------------------------


def panel_scope(filters: Filters) -> Scope:
    """The view's filters and currency on the panels' date (`Filters.as_of`)."""
    return replace(filters.scope, start=filters.as_of, end=filters.as_of)


def api_query(scope: Scope, **extra) -> str:
    """The query string that asks the outlook and worklist APIs for the same answer."""
    # A user's own customers are not a parameter: the APIs narrow to them by the user.
    params = {"as_of": scope.end.isoformat(), **scope.filters(), "customers_of": None, **extra}
    return urlencode({name: value for name, value in params.items() if value not in (None, "")})


@dataclass(frozen=True)
class Panels:
    """The panels' answers, from the functions the REST and GraphQL endpoints call."""

    scope: Scope
    outlook: forecast.CashForecast
    outlook_computed_at: datetime  # the forecast is kept a few minutes (dashboard.stored)
    worklist: worklist.Worklist
    bands: worklist.RiskBands
    bands_computed_at: datetime  # so are the risk bands
    currencies: tuple[str, ...]  # the scope's other currencies, each its own outlook


def panels(filters: Filters, currencies: Sequence[str] = ()) -> Panels:
    """The cash forecast, the top of the worklist and open AR by score band, for the view's
    filters and currency on `Filters.as_of` (a fixed number of queries: the risk model, the
    stored forecast and risk bands, each computed first when none is recent enough
    (`dashboard.stored`), the worklist's two scoring statements and its lines' details). The
    worklist is never kept: it moves as soon as a collector records a call. A user limited to
    their own customers gets theirs (`Scope.customers_of`)."""
    scope = panel_scope(filters)
    model = risk.current_model()
    page = worklist.worklist_page(scope, scope.end, limit=WORKLIST_ROWS, model=model)
    outlook = stored.forecast_for(scope)
    bands = stored.risk_bands_for(scope, model)
    return Panels(
        scope=scope,
        outlook=outlook.value,
        outlook_computed_at=outlook.computed_at,
        worklist=page,
        bands=bands.value,
        bands_computed_at=bands.computed_at,
        currencies=tuple(code for code in currencies if code != scope.currency),
    )


def band_label(band: worklist.RiskBand) -> str:
    return f"{band.low:f}–{band.high:f}" if band.high is not None else f"{band.low:f}–100"


def panels_view(panel: Panels, filters: Filters) -> dict:
    """What the template draws: bars for the weeks and bands, links, money with currency."""
    scope, outlook = panel.scope, panel.outlook
    currency = scope.currency
    week_bars = charts.bars(
        [(f"Week {w.week}", w.expected) for w in outlook.weeks]
        + [("After the horizon", outlook.after_horizon)]
    )
    weeks = [
        {
            "week": week,
            "bar": bar,
            "expected": shown(week.expected, "money", currency),
            "promised": shown(week.by_source.promised, "money", currency),
            "disputed": shown(week.by_source.disputed, "money", currency),
        }
        for week, bar in zip(outlook.weeks, week_bars, strict=False)
    ]
    expected = sum((w.expected for w in outlook.weeks), ZERO)
    return {
        "as_of": scope.end,
        "currency": currency,
        "outlook": {
            "weeks": weeks,
            "after": week_bars[-1],
            "after_amount": shown(outlook.after_horizon, "money", currency),
            "expected": shown(expected, "money", currency),
            "open_ar": shown(outlook.open_ar, "money", currency),
            "average_weekly": shown(outlook.average_weekly_collected, "money", currency),
            "horizon_end": outlook.weeks[-1].end,
            "computed_at": panel.outlook_computed_at,
            "api_url": f"{reverse('forecast')}?{api_query(scope)}",
            "other_currencies": [
                (code, f"?{filters.query(currency=code)}#outlook") for code in panel.currencies
            ],
        },
        "worklist": worklist_view(panel, filters),
        "risk": risk_view(panel),
    }


def worklist_view(panel: Panels, filters: Filters) -> dict:
    """The worklist panel: its top lines, with links."""
    scope = panel.scope
    lines = [
        {
            "item": item,
            "invoice_url": reverse("admin:receivables_invoice_change", args=[item.invoice_id]),
            "customer_url": f"{reverse('dashboard:invoices')}?"
            f"{filters.query(customer=item.customer_id)}",
            "open_amount": shown(item.open_amount, "money", item.currency),
            "cash_at_risk": shown(item.cash_at_risk, "money", item.currency),
            "factors": ", ".join(f"{c.label} +{c.points}" for c in item.top_factors),
        }
        for item in panel.worklist.results
    ]
    return {
        "lines": lines,
        "count": panel.worklist.count,
        "api_url": f"{reverse('worklist')}?{api_query(scope, limit=WORKLIST_ROWS)}",
        "admin_url": f"{reverse('admin:worklist_worklist')}?{api_query(scope)}",
    }


def risk_view(panel: Panels) -> dict:
    """The risk panel: open AR by score band."""
    scope, currency = panel.scope, panel.scope.currency
    band_bars = charts.bars([(band_label(b), b.open_amount) for b in panel.bands.bands])
    bands = [
        {
            "band": band,
            "label": bar.label,
            "bar": bar,
            "amount": shown(band.open_amount, "money", currency),
        }
        for band, bar in zip(panel.bands.bands, band_bars, strict=True)
    ]
    return {
        "bands": bands,
        "count": panel.bands.invoice_count,
        "total": shown(panel.bands.open_amount, "money", currency),
        "model": panel.bands.model,
        "computed_at": panel.bands_computed_at,
        "api_url": f"{reverse('risk-list')}?{api_query(scope)}",
    }


def _export_outlook(panel: Panels) -> HttpResponse:
    # The kept figures (dashboard.stored) say when they were computed, as the panel does.
    outlook, computed_at = panel.outlook, panel.outlook_computed_at.isoformat()
    sources = forecast.SOURCES
    rows = [
        [w.week, w.start, w.end, w.expected]
        + [getattr(w.by_source, s) for s in sources]
        + [w.due_date_amount, outlook.currency, computed_at]
        for w in outlook.weeks
    ]
    rows.append(
        ["after_horizon", "", "", outlook.after_horizon, *[""] * len(sources), "", outlook.currency]
        + [computed_at]
    )
    return csv_response(
        f"cash-outlook-{outlook.as_of}.csv",
        [
            "week",
            "start",
            "end",
            "expected",
            *sources,
            "due_date_amount",
            "currency",
            "computed_at",
        ],
        rows,
    )


def _export_worklist(panel: Panels) -> HttpResponse:
    page = panel.worklist
    return csv_response(
        f"worklist-{page.as_of}.csv",
        [
            "invoice",
            "customer",
            "rep",
            "due_date",
            "days_past_due",
            "open_amount",
            "score",
            "cash_at_risk",
            "top_factors",
            "last_activity",
            "last_activity_days_ago",
            "action",
            "currency",
        ],
        (
            [
                i.invoice_number,
                i.customer_name,
                i.rep_name,
                i.due_date,
                i.days_past_due,
                i.open_amount,
                i.score,
                i.cash_at_risk,
                "; ".join(f"{c.factor} {c.points}" for c in i.top_factors),
                i.last_activity.kind if i.last_activity else None,
                i.last_activity.days_ago if i.last_activity else None,
                i.action,
                i.currency,
            ]
            for i in page.results
        ),
    )


def _export_risk(panel: Panels) -> HttpResponse:
    bands, computed_at = panel.bands, panel.bands_computed_at.isoformat()
    return csv_response(
        f"risk-bands-{bands.as_of}.csv",
        ["score_from", "score_to", "invoices", "open_amount", "currency", "computed_at"],
        (
            [b.low, b.high if b.high is not None else 100, b.invoice_count, b.open_amount]
            + [bands.scope.currency, computed_at]
            for b in bands.bands
        ),
    )


PANEL_EXPORTERS = {"outlook": _export_outlook, "worklist": _export_worklist, "risk": _export_risk}


def _export_kpis(summary: Summary, glossary) -> HttpResponse:
    scope = summary.scope
    return csv_response(
        f"kpis-{scope.start}-{scope.end}.csv",
        ["kpi", "label", "value", "previous", "change", "status", "unit", "currency"],
        (
            [k.key, glossary[k.key].label, rendered(k.value), rendered(k.previous), k.change]
            + [k.status, k.unit]
            + [scope.currency]
            for k in summary.kpis.values()
        ),
    )


def _export_trends(trend_lines: Sequence[Trend]) -> HttpResponse:
    return csv_response(
        "trends.csv",
        ["kpi", "start", "end", "value", "unit"],
        (
            [t.key, period.start, period.end, rendered(value), t.unit]
            for t in trend_lines
            for period, value in t.points
        ),
    )


def _export_aging(aging: Aging) -> HttpResponse:
    return csv_response(
        f"aging-{aging.as_of}.csv",
        ["bucket", "amount", "invoices", "activities", "invoices_without_activity", "currency"],
        (
            [b.bucket, b.amount, b.invoice_count, b.activity_count, b.invoices_without_activity]
            + [aging.scope.currency]
            for b in aging.buckets
        ),
    )


def _export_actions(actions: Sequence[HuddleAction]) -> HttpResponse:
    return csv_response(
        "huddle-actions.csv",
        ["id", "title", "kpi", "context", "owner", "due_date", "definition_of_done", "status"],
        (
            [a.pk, a.title, a.kpi, a.context, a.owner, a.due_date, a.definition_of_done, a.status]
            for a in actions
        ),
    )


# --- drilldowns ----------------------------------------------------------------------------


def next_group(kpi, filters: Filters) -> str:
    """The first grouping not already fixed by a filter: rep, segment, product line, customer."""
    scope = filters.scope
    for group_by in kpi.group_bys:
        if group_by == "customer" or getattr(scope, group_by) is None:
            return group_by
    return "customer"


def breadcrumbs(filters: Filters, kpi=None, names: dict | None = None) -> list[tuple[str, str]]:
    """(label, url) from the dashboard down to this view; the last one is the current page."""
    names = names or {}
    crumbs = [("Dashboard", f"{reverse('dashboard:overview')}?{filters.query(customer=None)}")]
    if kpi is None:
        return crumbs
    url = reverse("dashboard:kpi", args=[kpi.key])
    cleared = {"rep": None, "segment": None, "product_line": None, "customer": None}
    crumbs.append((kpi.label, f"{url}?{filters.query(**cleared)}"))
    for group_by in ("rep", "segment", "product_line", "customer"):
        value = getattr(filters.scope, group_by)
        if value is None:
            continue
        cleared.pop(group_by)
        label = f"{GROUP_LABELS[group_by]}: {names.get(group_by, value)}"
        crumbs.append((label, f"{url}?{filters.query(**cleared)}"))
    return crumbs


def dimension_names(filters: Filters) -> dict[str, str]:
    """Names of the rep, segment and customer the view is filtered by (one query each at most)."""
    scope, names = filters.scope, {}
    for group_by, model in (("rep", SalesRep), ("segment", Segment), ("customer", Customer)):
        pk = getattr(scope, group_by)
        if pk is not None:
            names[group_by] = model.objects.values_list("name", flat=True).get(pk=pk)
    return names


@kpi_viewer_only
def kpi_detail(request: HttpRequest, key: str) -> HttpResponse:
    """One KPI: its tile and trend, then ranked by rep, segment, product line or customer;
    each row narrows the view one step, customers lead to their invoices."""
    try:
        kpi = engine.get_kpi(key)
        filters = parse_filters(request.GET, request.user)
        group_by = request.GET.get("by") or next_group(kpi, filters)
        summary = engine.summary(filters.scope, [key])
        result = engine.breakdown(key, filters.scope, group_by, limit=engine.MAX_BREAKDOWN_LIMIT)
    except ValidationError as error:
        return invalid(request, error)
    scope = filters.scope
    if request.GET.get("export") == "breakdown":
        return csv_response(
            f"{key}-by-{group_by}-{scope.start}-{scope.end}.csv",
            [group_by, "name", key, "status", "unit", "currency"],
            (
                [r.group_id, r.group_name, rendered(r.value), r.status, kpi.unit, scope.currency]
                for r in result.rows
            ),
        )
    glossary = {entry.key: entry for entry in engine.glossary()}
    notes = visible_notes(filters, filters.trend_period)
    trend = trends(filters, [key], notes)[0]
    if request.GET.get("export") == "trends":
        return _export_trends([trend])
    names = dimension_names(filters)
    rows = []
    for row in result.rows:
        if group_by == "customer":
            link = (
                f"{reverse('dashboard:invoices')}?{filters.query(customer=row.group_id, kpi=key)}"
            )
        elif row.group_id is None or group_by == "product_line" and not row.group_id:
            link = ""
        else:
            link = f"?{filters.narrowed(group_by, row.group_id).query(by='customer')}"
        rows.append(
            {
                "row": row,
                "value": shown(row.value, kpi.unit, scope.currency),
                "status_label": STATUS_LABELS[row.status],
                "link": link,
            }
        )
    return render(
        request,
        "dashboard/kpi.html",
        {
            "filters": filters,
            "scope": scope,
            "options": filter_options(),
            "kpi": kpi,
            "tile": tiles(summary, glossary, [key])[0],
            "trend": trend,
            "notes": notes,
            "group_by": group_by,
            "group_label": GROUP_LABELS[group_by],
            "group_tabs": [(g, GROUP_LABELS[g], f"?{filters.query(by=g)}") for g in kpi.group_bys],
            "rows": rows,
            "crumbs": breadcrumbs(filters, kpi, names),
            "export_query": filters.query(by=group_by, export="breakdown"),
        },
    )


@kpi_viewer_only
def invoices(request: HttpRequest) -> HttpResponse:
    """The invoices behind a KPI for the filters, ranked: most days past due first (open at
    the period's end), or the largest first (issued in the period, for invoice-quality KPIs)."""
    try:
        filters = parse_filters(request.GET, request.user)
        kpi = engine.get_kpi(request.GET["kpi"]) if request.GET.get("kpi") else None
    except ValidationError as error:
        return invalid(request, error)
    scope = filters.scope
    dimensions = predicates.invoice_dimensions(**scope.filters())
    in_scope = Invoice.objects.filter(dimensions)
    if kpi is not None and kpi.key in ISSUED_KPIS:
        basis = "issued"
        ranking = ["-amount", "id"]
        queryset = in_scope.counting().issued_between(scope.start, scope.end).order_by(*ranking)
        total = queryset.count()
    else:
        basis = "open"
        ranking = ["due_date", "-open_amount", "id"]
        queryset = in_scope.open_at_first(scope.end, ranking, INVOICE_ROWS)
        total = in_scope.count_open_at(scope.end)
    rows = list(queryset.with_collection_state().select_related("customer", "rep")[:INVOICE_ROWS])
    for invoice in rows:
        invoice.days_past_due = max((scope.end - invoice.due_date).days, 0)
    if request.GET.get("export") == "invoices":
        return csv_response(
            f"invoices-{scope.start}-{scope.end}.csv",
            [
                "number",
                "customer",
                "rep",
                "product_line",
                "issue_date",
                "due_date",
                "days_past_due",
                "amount",
                "open_amount",
                "currency",
                "status",
                "has_open_dispute",
            ],
            (
                [
                    i.number,
                    i.customer.name,
                    i.rep.name if i.rep else "",
                    i.product_line,
                    i.issue_date,
                    i.due_date,
                    i.days_past_due,
                    i.amount,
                    i.open_amount,
                    i.currency,
                    i.status,
                    i.has_open_dispute,
                ]
                for i in rows
            ),
        )
    names = dimension_names(filters)
    crumbs = breadcrumbs(filters, kpi, names)
    crumbs.append(("Invoices", ""))
    return render(
        request,
        "dashboard/invoices.html",
        {
            "filters": filters,
            "scope": scope,
            "kpi": kpi,
            "basis": basis,
            "rows": rows,
            "total": total,
            "limit": INVOICE_ROWS,
            "crumbs": crumbs,
            "export_query": filters.query(kpi=kpi.key if kpi else None, export="invoices"),
        },
    )


# --- huddle actions and annotations --------------------------------------------------------


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("dashboard:overview")


@kpi_viewer_only
def new_action(request: HttpRequest) -> HttpResponse:
    """Record a huddle action from a KPI tile or a "what changed" line."""
    if not request.user.has_perm("dashboard.add_huddleaction"):
        raise PermissionDenied
    if request.method == "POST":
        form = ActionForm(request.POST)
        if form.is_valid():
            try:
                services.create_action(**form.cleaned_data, created_by=request.user)
            except ValidationError as error:
                form.add_error(None, error_text(error))
            else:
                return HttpResponseRedirect(_back(request))
    else:
        kpi = request.GET.get("kpi", "")
        form = ActionForm(
            initial={
                "kpi": kpi if kpi in KPIS else "",
                "context": request.GET.get("context", "")[:300],
                "due_date": today() + timedelta(days=7),
            }
        )
    return render(
        request,
        "dashboard/action_form.html",
        {
            "form": form,
            "kpi": KPIS.get(form["kpi"].value() or ""),
            "context": form["context"].value(),
            "next": _back(request),
        },
    )


@require_POST
@kpi_viewer_only
def complete_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a huddle action done, then back to the page it was done from."""
    if not request.user.has_perm("dashboard.change_huddleaction"):
        raise PermissionDenied
    action = get_object_or_404(HuddleAction, pk=pk)
    # Done already (by someone else in the same huddle): nothing is left to do.
    with suppress(ValidationError):
        services.complete_action(action)
    return HttpResponseRedirect(_back(request))


@require_POST
@kpi_viewer_only
def new_annotation(request: HttpRequest) -> HttpResponse:
    """Store a note for the trend lines, then back to the charts."""
    if not request.user.has_perm("dashboard.add_annotation"):
        raise PermissionDenied
    form = AnnotationForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "dashboard/invalid.html",
            {"message": "; ".join(f"{f}: {' '.join(e)}" for f, e in form.errors.items())},
            status=400,
        )
    services.create_annotation(**form.cleaned_data, created_by=request.user)
    return HttpResponseRedirect(_back(request))
