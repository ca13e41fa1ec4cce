"""A refusal's REST status says its kind; GraphQL answers the same code (it has no statuses).

400: the request breaks a rule the OpenAPI schema states. 409: it clashes with the current
state of stored records. 422: it is well formed but refused by a rule over the records it
names or across its fields (o2c_api/api/exceptions.py, STATUS_BY_CODE).
"""

import pytest

from tests.graphql.test_mutations import ledger, messages, mutate, snapshot

__all__ = ["ledger"]  # the fixture, used by name

CASES = [
    pytest.param(
        "/api/v1/adjustments/",
        lambda c, i, p: {
            "invoice": i.pk,
            "kind": "write_off",
            "amount": "100.01",
            "adjustment_date": "2026-01-02",
        },
        "addAdjustment",
        lambda c, i, p: {
            "data": {
                "invoice": str(i.pk),
                "kind": "write_off",
                "amount": "100.01",
                "adjustmentDate": "2026-01-02",
            }
        },
        (422, "amount", "exceeds_open_amount"),
        id="over-the-open-amount-422",
    ),
    pytest.param(
        "/api/v1/invoices/",
        lambda c, i, p: {
            "customer": c.pk,
            "number": "INV-2",
            "issue_date": "2026-01-10",
            "due_date": "2026-01-09",
            "amount": "10.00",
        },
        "createInvoice",
        lambda c, i, p: {
            "data": {
                "customer": str(c.pk),
                "number": "INV-2",
                "issueDate": "2026-01-10",
                "dueDate": "2026-01-09",
                "amount": "10.00",
            }
        },
        (422, "due_date", "due_before_issue"),
        id="one-field-before-another-422",
    ),
    pytest.param(
        "/api/v1/invoices/",
        lambda c, i, p: {
            "customer": 999999,
            "number": "INV-2",
            "issue_date": "2026-01-10",
            "amount": "10.00",
        },
        "createInvoice",
        lambda c, i, p: {
            "data": {
                "customer": "999999",
                "number": "INV-2",
                "issueDate": "2026-01-10",
                "amount": "10.00",
            }
        },
        (422, "customer", "does_not_exist"),
        id="an-id-of-no-record-422",
    ),
    pytest.param(
        "/api/v1/invoices/",
        lambda c, i, p: {
            "customer": c.pk,
            "number": "INV-1",
            "issue_date": "2026-01-10",
            "amount": "10.00",
        },
        "createInvoice",
        lambda c, i, p: {
            "data": {
                "customer": str(c.pk),
                "number": "INV-1",
                "issueDate": "2026-01-10",
                "amount": "10.00",
            }
        },
        (409, "number", "unique"),
        id="a-unique-value-taken-409",
    ),
    pytest.param(
        "/api/v1/invoices/{i.pk}/issue/",
        lambda c, i, p: {},
        "issueInvoice",
        lambda c, i, p: {"id": str(i.pk)},
        (409, None, "invoice_not_draft"),
        id="a-state-that-forbids-it-409",
    ),
    pytest.param(
        "/api/v1/invoices/",
        lambda c, i, p: {
            "customer": c.pk,
            "number": "INV-2",
            "issue_date": "2026-01-10",
            "amount": "-1.00",
        },
        "createInvoice",
        lambda c, i, p: {
            "data": {
                "customer": str(c.pk),
                "number": "INV-2",
                "issueDate": "2026-01-10",
                "amount": "-1.00",
            }
        },
        (400, "amount", "not_positive"),
        id="a-rule-the-schema-states-400",
    ),
]


@pytest.mark.parametrize(("path", "body", "mutation", "variables", "expected"), CASES)
def test_rest_status_by_kind_and_graphql_the_same_code(
    api, gql, ledger, path, body, mutation, variables, expected
):
    # Given the ledger and the rows as they are
    customer, invoice, payment = ledger
    before = snapshot()

    # When REST and GraphQL are sent the same refused request
    response = api.post(path.format(i=invoice), body(*ledger), format="json")
    payload = mutate(gql, mutation, **variables(*ledger))

    # Then REST's status is the kind's, both answer the same code, and nothing changed
    status, field, code = expected
    assert (response.status_code, response.json()["errors"][0]["code"]) == (status, code)
    assert response.json()["errors"][0]["field"] == field
    assert [c for _, _, c in messages(payload)] == [code]
    assert snapshot() == before
