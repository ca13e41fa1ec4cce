"""GraphQL refuses what REST refuses, with the same codes, a sentence and nothing internal.

Issue 12: GraphQL answered raw internal text without `extensions.code` ("PostgreSQL text
fields cannot contain NUL", "date value out of range", "Field 'id' expected a number but got
'abc'" — from an `id` argument, and from a list filter's `id: {exact: ...}` — and
`[<class 'decimal.InvalidOperation'>]`), had no cost limit, and suggested field names with
introspection off.
"""

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from receivables.models import Payment
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

OUT = "is outside the dates this API accepts (1900-01-01 to 2200-12-31)."


def only_error(answer: dict) -> dict:
    assert answer["data"] is None, answer
    [error] = answer["errors"]
    return error


def code_and_message(answer: dict) -> tuple[str, str]:
    error = only_error(answer)
    return error["extensions"]["code"], error["message"]


@pytest.mark.parametrize(
    ("query", "variables", "code", "message"),
    [
        (
            '{ kpis(start: "0001-01-01", end: "1900-01-31") { currencies } }',
            None,
            "date_out_of_range",
            f"0001-01-01 {OUT}",
        ),
        (
            "query($d: Date) { aging(asOf: $d) { asOf } }",
            {"d": "9999-12-31"},
            "date_out_of_range",
            f"Variable '$d' has invalid value: 9999-12-31 {OUT}",
        ),
        (
            '{ kpiSeries(key: DSO, interval: WEEK, start: "9999-01-01") { key } }',
            None,
            "date_out_of_range",
            f"9999-01-01 {OUT}",
        ),
        (
            '{ kpis(start: "2026-13-01") { currencies } }',
            None,
            "invalid_date",
            "'2026-13-01' is not a date (YYYY-MM-DD).",
        ),
        (
            '{ payments(filters: {updatedAfter: "5177-08-05T19:42:41-16:09"}) { totalCount } }',
            None,
            "date_out_of_range",
            f"5177-08-05T19:42:41-16:09 {OUT}",
        ),
        (
            '{ invoices(filters: {issueDate: {gte: "0001-01-01"}}) { totalCount } }',
            None,
            "date_out_of_range",
            f"0001-01-01 {OUT}",
        ),
        (
            '{ cashForecast(asOf: "0001-01-01") { openAr } }',
            None,
            "date_out_of_range",
            f"0001-01-01 {OUT}",
        ),
        (
            '{ worklist(asOf: "9999-12-31") { totalCount } }',
            None,
            "date_out_of_range",
            f"9999-12-31 {OUT}",
        ),
        (
            '{ kpis(productLine: "a\\u0000b") { currencies } }',
            None,
            "null_characters_not_allowed",
            "Null characters are not allowed.",
        ),
        (
            "query($p: String) { kpis(productLine: $p) { currencies } }",
            {"p": "a\x00b"},
            "null_characters_not_allowed",
            "Variable $p: Null characters are not allowed.",
        ),
        (
            '{ invoices(filters: {productLine: "a\\u0000b"}) { totalCount } }',
            None,
            "null_characters_not_allowed",
            "Null characters are not allowed.",
        ),
        (
            '{ invoice(id: "abc") { id } }',
            None,
            "not_found",
            "No object has the id 'abc': an id is a positive whole number.",
        ),
        (
            "query($id: ID!) { customer(id: $id) { id } }",
            {"id": "99999999999999999999"},
            "not_found",
            "No object has the id '99999999999999999999': an id is a positive whole number.",
        ),
        # An id a list filter compares ("Field 'id' expected a number but got 'abc'" was a
        # server_error): in the document, in a list, under OR, in a variable, nested.
        (
            '{ invoices(filters: {id: {exact: "abc"}}) { totalCount } }',
            None,
            "invalid",
            "'abc' is not an id: an id is a positive whole number.",
        ),
        (
            '{ payments(filters: {id: {inList: ["1", "abc"]}}) { totalCount } }',
            None,
            "invalid",
            "'abc' is not an id: an id is a positive whole number.",
        ),
        (
            '{ invoices(filters: {OR: {id: {exact: "-1"}}}) { totalCount } }',
            None,
            "invalid_choice",
            "'-1' is not an id: an id is a positive whole number.",
        ),
        (
            "query($f: InvoiceFilter) { invoices(filters: $f) { totalCount } }",
            {"f": {"NOT": {"id": {"exact": "99999999999999999999"}}}},
            "invalid_choice",
            "'99999999999999999999' is not an id: an id is a positive whole number.",
        ),
        (
            '{ customers { results { invoices(filters: {id: {exact: "x"}}) { totalCount } } } }',
            None,
            "invalid",
            "'x' is not an id: an id is a positive whole number.",
        ),
    ],
)
def test_bad_input_is_a_coded_error_with_a_sentence(gql, query, variables, code, message):
    answer = gql(query, variables)

    assert code_and_message(answer) == (code, message)


def test_the_same_input_has_the_same_code_on_rest(api, gql):
    rest = api.get("/api/v1/kpis/?start=0001-01-01&end=1900-01-31").json()["errors"][0]
    graphql = only_error(gql('{ kpis(start: "0001-01-01", end: "1900-01-31") { currencies } }'))

    assert rest["code"] == graphql["extensions"]["code"] == "date_out_of_range"
    assert rest["message"] == graphql["message"]


RECORD = (
    "mutation($d: PaymentInput!) { recordPayment(data: $d) { __typename "
    "... on OperationInfo { messages { code field message } } } }"
)


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        ({"amount": "NaN"}, "invalid", "A valid number is required."),
        ({"amount": "Infinity"}, "invalid", "A valid number is required."),
        ({"amount": "-Infinity"}, "invalid", "A valid number is required."),
        (
            {"amount": "1e400"},
            "max_digits",
            "Ensure that there are no more than 18 digits in total.",
        ),
        ({"receivedDate": "0001-01-01"}, "date_out_of_range", f"0001-01-01 {OUT}"),
        (
            {"reference": "a\x00b"},
            "null_characters_not_allowed",
            "Null characters are not allowed.",
        ),
    ],
)
def test_a_bad_payment_is_refused_with_rest_code_and_nothing_stored(gql, change, code, message):
    customer = CustomerFactory()
    data = {"customer": str(customer.pk), "amount": "10.00", "receivedDate": "2026-01-01"}

    error = only_error(gql(RECORD, {"d": {**data, **change}}))

    assert error["extensions"]["code"] == code
    assert error["message"].endswith(message)
    assert "decimal" not in error["message"].lower()
    assert not Payment.objects.exists()


@override_settings(O2C_GRAPHQL_INTROSPECTION=False)
def test_without_introspection_errors_suggest_no_names(gql):
    error = only_error(gql("{ invoices { totalCount nummber } }"))

    assert error["extensions"]["code"] == "invalid_query"
    assert error["message"] == "Cannot query field 'nummber' on type 'InvoiceTypeOffsetPaginated'."


@override_settings(O2C_GRAPHQL_INTROSPECTION=False)
def test_without_introspection_an_unknown_mutation_suggests_nothing(gql):
    error = only_error(gql("mutation { createPayment { id } }"))

    assert "Did you mean" not in error["message"]
    assert error["extensions"]["code"] == "invalid_query"


UNKNOWN_INPUT_FIELDS = [
    (
        '{ invoices(filters: {numbr: {exact: "x"}}) { totalCount } }',
        None,
        "Expected value of type 'InvoiceFilter' not to include unknown field 'numbr'. "
        'Found: { numbr: { exact: "x" } }.',
    ),
    (
        "{ invoices(ordering: [{dueDat: ASC}]) { totalCount } }",
        None,
        "Expected value of type 'InvoiceOrder' not to include unknown field 'dueDat'. "
        "Found: { dueDat: ASC }.",
    ),
    (
        "mutation($d: PaymentPostingInput!) { postPayment(data: $d) { __typename } }",
        {"d": {"custmer": "1", "amount": "1.00", "receivedDate": "2026-01-01"}},
        "Variable '$d' has invalid value: Expected value of type 'PaymentPostingInput' not to "
        "include unknown field 'custmer'. "
        "Found: {'custmer': '1', 'amount': '1.00', 'receivedDate': '2026-01-01'}.",
    ),
]


@override_settings(O2C_GRAPHQL_INTROSPECTION=False)
@pytest.mark.parametrize(
    ("query", "variables", "message"), UNKNOWN_INPUT_FIELDS, ids=["filter", "ordering", "variable"]
)
def test_without_introspection_an_unknown_input_field_suggests_nothing(
    gql, query, variables, message
):
    # graphql-core puts this suggestion mid-sentence, before "Found: ...".
    error = only_error(gql(query, variables))

    assert error["message"] == message
    assert error["extensions"]["code"] in ("invalid_query", "invalid")
    assert not Payment.objects.exists()


@override_settings(O2C_GRAPHQL_INTROSPECTION=True)
def test_with_introspection_an_unknown_input_field_is_suggested(gql):
    query, _, _ = UNKNOWN_INPUT_FIELDS[0]

    assert "Did you mean 'number'?" in only_error(gql(query))["message"]


def test_a_syntax_error_has_a_code(gql):
    error = only_error(gql("{ invoices { totalCount "))

    assert error["extensions"]["code"] == "invalid_query"
    assert error["message"] == "Syntax Error: Expected Name, found <EOF>."


def test_an_unexpected_failure_leaks_nothing(gql, monkeypatch):
    from metrics import engine

    def broken(*args, **kwargs):
        raise RuntimeError("connection to server at 10.0.0.5 failed: password for postgres")

    monkeypatch.setattr(engine, "summary", broken)

    error = only_error(gql("{ kpis { currencies } }"))

    assert error["extensions"] == {"code": "server_error"}
    assert error["message"] == "Internal error; nothing was saved."


def test_json_nested_2000_deep_is_invalid_json(make_client):
    client = make_client("admin")
    body = '{"query": "{ __typename }", "variables": {"a": ' + "[" * 2000 + "]" * 2000 + "}}"

    response = client.post("/graphql/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "The JSON body nests deeper than 32 levels of arrays and objects.",
                "extensions": {"code": "invalid_json"},
            }
        ],
    }


def test_json_nested_deep_in_a_get_is_invalid_json(make_client):
    client = make_client("viewer")

    response = client.get("/graphql/", {"query": "{ __typename }", "variables": "[" * 500})

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "invalid_json"


def test_a_document_nested_too_deep_is_an_invalid_query(gql):
    error = only_error(gql("{" + "a{" * 400 + "}" * 401))

    assert error["extensions"]["code"] == "invalid_query"


THIRTY_SERIES = (
    "{ "
    + " ".join(
        f'a{i}: kpiSeries(key: DSO, interval: WEEK, start: "2016-01-01", end: "2025-12-31")'
        " { key points { value } }"
        for i in range(30)
    )
    + " }"
)


def test_thirty_ten_year_weekly_series_are_refused_before_running(gql):
    with CaptureQueriesContext(connection) as queries:
        error = only_error(gql(THIRTY_SERIES, role="viewer"))

    assert error["extensions"] == {"code": "query_too_costly", "cost": 30 * 523 * 200}
    assert error["message"] == (
        "This request would cost 3138000, over the limit of 300000: ask for smaller pages, "
        "fewer or shorter series, or split it in several requests. Nothing was run."
    )
    kpi_queries = [q for q in queries.captured_queries if "receivables_" in q["sql"]]
    assert kpi_queries == []


def test_one_ten_year_weekly_series_is_within_the_budget(gql):
    answer = gql(
        '{ kpiSeries(key: DSO, interval: WEEK, start: "2016-01-01", end: "2025-12-31")'
        " { key points { value } } }"
    )

    assert "errors" not in answer
    assert len(answer["data"]["kpiSeries"]["points"]) == 523


def test_the_default_three_level_nesting_is_within_the_budget(gql):
    answer = gql(
        "{ customers { results { invoices { results { applications { results "
        "{ payment { customer { name } } } } } } } } }"
    )

    assert "errors" not in answer


def test_page_sizes_multiply(gql):
    query = (
        "{ customers(pagination: {limit: 500}) { results { "
        "invoices(pagination: {limit: 500}) { results { applications { totalCount } } } } } }"
    )  # 500 customers, 500 invoices each, 50 applications each (the default page)

    error = only_error(gql(query))

    assert error["extensions"] == {
        "code": "query_too_costly",
        "cost": 500 + 500 * 500 + 500 * 500 * 50,
    }


def test_breakdowns_cost_by_groups(gql):
    query = " ".join(
        f"b{i}: kpiBreakdown(key: DSO, groupBy: CUSTOMER, limit: 500) {{ unit }}" for i in range(4)
    )

    error = only_error(gql("{ " + query + " }"))

    assert error["extensions"]["code"] == "query_too_costly"
    assert error["extensions"]["cost"] == 4 * 500 * 200


def test_variables_count_in_the_cost(gql):
    query = (
        "query($s: Date, $e: Date) { "
        + " ".join(
            f"a{i}: kpiSeries(key: DSO, interval: WEEK, start: $s, end: $e) {{ key }}"
            for i in range(3)
        )
        + " }"
    )

    error = only_error(gql(query, {"s": "2016-01-01", "e": "2025-12-31"}))

    assert error["extensions"] == {"code": "query_too_costly", "cost": 3 * 523 * 200}


@override_settings(O2C_GRAPHQL_MAX_COST=2000)
def test_the_budget_is_a_setting(gql):
    cheap = gql('{ kpiSeries(key: DSO, start: "2025-01-01", end: "2025-06-30") { key } }')
    dear = gql('{ kpiSeries(key: DSO, start: "2024-01-01", end: "2025-12-31") { key } }')

    assert "errors" not in cheap
    assert only_error(dear)["extensions"] == {"code": "query_too_costly", "cost": 24 * 200}


def test_series_points_bound_is_the_rest_one(gql):
    error = only_error(
        gql(
            "{ kpiSeriesMany(keys: [DSO, CEI], interval: WEEK, "
            'start: "2020-01-01", end: "2025-12-31") { key } }'
        )
    )

    assert error["extensions"]["code"] == "too_many_points"
