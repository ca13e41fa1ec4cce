"""Annotations and huddle actions over REST and GraphQL: same rows, same codes, same roles."""

from datetime import date
from unittest import mock

import pytest

from dashboard.models import Annotation, HuddleAction
from tests.factories import SalesRepFactory

pytestmark = pytest.mark.django_db

ACTION = {
    "title": "Call the ten largest past-due customers",
    "owner": "Dana",
    "due_date": "2026-05-08",
    "definition_of_done": "Each has a promise or a dispute",
    "kpi": "dso",
    "context": "DSO rose from 41.2 to 48.9 days (+7.7): amber.",
}
CREATE_ACTION = """
mutation($data: HuddleActionInput!) {
  createHuddleAction(data: $data) {
    ... on HuddleActionType { id title kpi owner dueDate status doneDate createdBy }
    ... on OperationInfo { messages { field code message } }
  }
}"""
COMPLETE_ACTION = """
mutation($id: ID!) {
  completeHuddleAction(id: $id) {
    ... on HuddleActionType { id status doneDate }
    ... on OperationInfo { messages { field code message } }
  }
}"""
CREATE_NOTE = """
mutation($data: AnnotationInput!) {
  createAnnotation(data: $data) {
    ... on AnnotationType { id noteDate text rep { name } segment { name } createdBy }
    ... on OperationInfo { messages { field code message } }
  }
}"""


@pytest.fixture(autouse=True)
def fixed_today():
    with mock.patch("dashboard.services.today", return_value=date(2026, 5, 6)):
        yield


def test_rest_records_lists_and_completes_an_action(make_client):
    collector = make_client("collector")

    created = collector.post("/api/v1/huddle-actions/", ACTION, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert {k: body[k] for k in ("title", "kpi", "owner", "status", "done_date", "created_by")} == {
        "title": ACTION["title"],
        "kpi": "dso",
        "owner": "Dana",
        "status": "open",
        "done_date": None,
        "created_by": "collector-user",
    }

    listed = make_client("viewer").get("/api/v1/huddle-actions/", {"status": "open"}).json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]

    done = collector.post(f"/api/v1/huddle-actions/{body['id']}/complete/")
    assert (done.status_code, done.json()["status"], done.json()["done_date"]) == (
        200,
        "done",
        "2026-05-06",
    )

    again = collector.post(f"/api/v1/huddle-actions/{body['id']}/complete/")
    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == "action_already_done"


def test_graphql_gives_the_same_answers_and_codes(gql):
    graphql_action = {
        "title": ACTION["title"],
        "owner": "Dana",
        "dueDate": "2026-05-08",
        "definitionOfDone": ACTION["definition_of_done"],
        "kpi": "dso",
    }
    created = gql(CREATE_ACTION, {"data": graphql_action}, role="collector")["data"][
        "createHuddleAction"
    ]
    assert {k: created[k] for k in ("kpi", "owner", "dueDate", "status", "doneDate")} == {
        "kpi": "dso",
        "owner": "Dana",
        "dueDate": "2026-05-08",
        "status": "open",
        "doneDate": None,
    }
    assert created["createdBy"] == "collector-user"

    done = gql(COMPLETE_ACTION, {"id": created["id"]}, role="collector")
    assert done["data"]["completeHuddleAction"] == {
        "id": created["id"],
        "status": "done",
        "doneDate": "2026-05-06",
    }
    again = gql(COMPLETE_ACTION, {"id": created["id"]}, role="collector")
    assert [m["code"] for m in again["data"]["completeHuddleAction"]["messages"]] == [
        "action_already_done"
    ]
    assert HuddleAction.objects.get().done_date == date(2026, 5, 6)


def test_an_unknown_kpi_is_the_same_error_on_both_apis(make_client, gql):
    rest = make_client("collector").post(
        "/api/v1/huddle-actions/", {**ACTION, "kpi": "nope"}, format="json"
    )
    graphql = gql(
        CREATE_ACTION,
        {
            "data": {
                "title": "t",
                "owner": "o",
                "dueDate": "2026-05-08",
                "definitionOfDone": "d",
                "kpi": "nope",
            }
        },
        role="collector",
    )["data"]["createHuddleAction"]["messages"]

    assert rest.status_code == 400
    assert [(e["code"], e["field"]) for e in rest.json()["errors"]] == [("unknown_kpi", "kpi")]
    assert [(m["code"], m["field"]) for m in graphql] == [("unknown_kpi", "kpi")]
    assert not HuddleAction.objects.exists()


def test_annotations_on_both_apis(make_client, gql):
    rep = SalesRepFactory(name="Ana")
    rest = make_client("collector").post(
        "/api/v1/annotations/",
        {"note_date": "2026-03-02", "text": "New reminder wording", "rep": rep.pk},
        format="json",
    )
    assert rest.status_code == 201, rest.content
    assert {k: rest.json()[k] for k in ("note_date", "text", "rep", "rep_name", "segment")} == {
        "note_date": "2026-03-02",
        "text": "New reminder wording",
        "rep": rep.pk,
        "rep_name": "Ana",
        "segment": None,
    }

    created = gql(
        CREATE_NOTE, {"data": {"noteDate": "2026-04-01", "text": "Price change"}}, role="admin"
    )["data"]["createAnnotation"]
    assert {k: created[k] for k in ("noteDate", "text", "rep", "segment", "createdBy")} == {
        "noteDate": "2026-04-01",
        "text": "Price change",
        "rep": None,
        "segment": None,
        "createdBy": "admin-user",
    }

    listed = gql(
        "{ annotations(ordering: [{noteDate: ASC}]) { totalCount results { text rep { name } } } }",
        role="viewer",
    )["data"]["annotations"]
    assert listed == {
        "totalCount": 2,
        "results": [
            {"text": "New reminder wording", "rep": {"name": "Ana"}},
            {"text": "Price change", "rep": None},
        ],
    }
    rest_list = make_client("viewer").get("/api/v1/annotations/").json()
    assert [row["text"] for row in rest_list["results"]] == [
        "New reminder wording",
        "Price change",
    ]


@pytest.mark.parametrize("role", ["viewer"])
def test_a_viewer_reads_but_does_not_write(make_client, gql, role):
    client = make_client(role)

    assert client.get("/api/v1/huddle-actions/").status_code == 200
    assert client.post("/api/v1/huddle-actions/", ACTION, format="json").status_code == 403
    assert (
        client.post(
            "/api/v1/annotations/", {"note_date": "2026-03-02", "text": "x"}, format="json"
        ).status_code
        == 403
    )
    refused = gql(CREATE_NOTE, {"data": {"noteDate": "2026-04-01", "text": "x"}}, role=role)
    assert refused["errors"][0]["extensions"]["code"] == "permission_denied"
    assert not Annotation.objects.exists()
    assert not HuddleAction.objects.exists()


def test_anonymous_is_401(make_client):
    assert make_client(None).get("/api/v1/annotations/").status_code == 401


def test_lists_cost_the_same_queries_at_two_sizes(make_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = make_client("viewer")

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    def add(n):
        for i in range(n):
            Annotation.objects.create(note_date=date(2026, 1, 1 + i), text=f"n{i}")
            HuddleAction.objects.create(
                title="a", owner="b", due_date=date(2026, 1, 1), definition_of_done="c"
            )

    add(1)
    small = (count("/api/v1/annotations/"), count("/api/v1/huddle-actions/"))
    add(9)
    assert (count("/api/v1/annotations/"), count("/api/v1/huddle-actions/")) == small


def test_the_api_root_lists_every_resource_and_kpi_endpoint(make_client):
    body = make_client(None).get("/api/v1/", HTTP_ACCEPT="application/json").json()

    assert list(body["resources"]) == [
        "segments",
        "reps",
        "customers",
        "opportunities",
        "orders",
        "invoices",
        "adjustments",
        "payments",
        "applications",
        "disputes",
        "promises",
        "activities",
        "annotations",
        "huddle-actions",
        "message-templates",
        "playbook-steps",
        "playbook-actions",
        "credit-hold-rules",
        "credit-holds",
        "webhook-subscriptions",
        "webhook-deliveries",
    ]
    assert body["resources"]["invoices"] == "http://testserver/api/v1/invoices/"
    assert body["kpis"] == {
        "kpis": "http://testserver/api/v1/kpis/",
        "kpis/aging": "http://testserver/api/v1/kpis/aging/",
        "kpis/reminder-funnel": "http://testserver/api/v1/kpis/reminder-funnel/",
        "kpis/time-to-invoice": "http://testserver/api/v1/kpis/time-to-invoice/",
        "kpis/glossary": "http://testserver/api/v1/kpis/glossary/",
        "kpis/series": "http://testserver/api/v1/kpis/series/",
        "kpis/dso/series": "http://testserver/api/v1/kpis/dso/series/",
        "kpis/dso/breakdown": "http://testserver/api/v1/kpis/dso/breakdown/",
        "kpis/dso-impact": "http://testserver/api/v1/kpis/dso-impact/",
    }
    assert body["reports"] == {
        "forecast": "http://testserver/api/v1/forecast/",
        "forecast/accuracy": "http://testserver/api/v1/forecast/accuracy/",
        "risk": "http://testserver/api/v1/risk/",
        "risk/backtest": "http://testserver/api/v1/risk/backtest/",
        "worklist": "http://testserver/api/v1/worklist/",
        "playbook-funnel": "http://testserver/api/v1/playbook-funnel/",
        "promise-reliability": "http://testserver/api/v1/promise-reliability/",
        "events": "http://testserver/api/v1/events/",
    }
