"""The KPI series contract a dashboard builds on: several keys in one call, and an unknown key
answered with the keys that exist (issue 13)."""

import pytest

pytestmark = pytest.mark.django_db

KEYS = (
    "ar_balance, current_ar, past_due_ar, credit_sales, collected, dso, dso_countback, "
    "best_possible_dso, average_days_delinquent, cei, first_pass_yield, dispute_rate, "
    "dispute_resolution_days, cash_application_match_rate, promise_kept_rate, "
    "time_to_invoice_days, pipeline_velocity, reminder_conversion_rate"
)


def test_an_unknown_key_among_several_lists_the_valid_keys(api):
    response = api.get(
        "/api/v1/kpis/series/",
        {"keys": "dso,nope", "interval": "month", "start": "2026-01-01", "end": "2026-03-31"},
    )

    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "code": "unknown_kpi",
                "field": "key",
                "message": f"Unknown KPI 'nope'; valid keys: {KEYS}.",
            }
        ]
    }


def test_several_keys_share_one_call_and_its_points(api):
    response = api.get(
        "/api/v1/kpis/series/",
        {"keys": "dso,cei", "interval": "month", "start": "2026-01-01", "end": "2026-02-28"},
    )

    assert response.status_code == 200
    body = response.json()
    assert [(s["key"], s["unit"], s["currency"]) for s in body["series"]] == [
        ("dso", "days", None),
        ("cei", "%", None),
    ]
    points = [[(p["start"], p["end"]) for p in s["points"]] for s in body["series"]]
    assert points == [[("2026-01-01", "2026-01-31"), ("2026-02-01", "2026-02-28")]] * 2
