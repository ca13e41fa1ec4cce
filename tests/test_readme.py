"""The README's examples run as they are against demo data (`make demo` seeds the same
names with more customers): every curl command and the GraphQL query."""

import re
import shlex
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from receivables import demo
from tests.factories import UserFactory
from tests.tokens import token_for

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parent.parent / "README.md"
HOST = "http://127.0.0.1:8000"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)


def curl_commands() -> list[list[str]]:
    """Each curl command of the shell blocks, continuation lines and quoted bodies joined."""
    commands = []
    for block in blocks("sh"):
        for text in re.findall(r"^curl .*?(?=^curl |\Z)", block, flags=re.S | re.M):
            commands.append(shlex.split(text.replace("\\\n", " "), comments=True))
    return commands


def replay(client: APIClient, token: str, words: list[str]):
    """Run one curl command with the test client: method, headers, body and URL."""
    method, headers, body, url = "GET", {}, None, None
    words = iter(words[1:])
    for word in words:
        if word == "-X":
            method = next(words)
        elif word == "-H":
            name, value = next(words).split(": ", 1)
            headers[name] = value.replace("$TOKEN", token)
        elif word == "-d":
            body = next(words)
        elif word == "-o":
            next(words)
        else:
            url = word
    assert url.startswith(HOST), url
    # curl's own default for `-d`: an example without the JSON header would be refused (415).
    content_type = headers.pop("Content-Type", "application/x-www-form-urlencoded")
    meta = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    path = url.removeprefix(HOST)
    if method == "GET":
        return client.get(path, **meta)
    return client.generic(method, path, body or "", content_type=content_type, **meta)


@pytest.fixture
def demo_data():
    demo.seed(customers=3, seed=1, months=6, invoices_per_customer=4)


def test_the_readme_has_the_examples_this_test_runs():
    commands = curl_commands()
    assert len(commands) >= 6
    assert any("/api/v1/payments/" in " ".join(c) for c in commands)
    assert len(blocks("graphql")) == 1


@pytest.mark.parametrize("index", range(len(curl_commands())))
def test_every_curl_example_runs_against_demo_data(demo_data, index):
    user = UserFactory(username="readme", role="admin")
    token = token_for(user)

    response = replay(APIClient(), token, curl_commands()[index])
    if response.streaming:
        # Read a streamed answer (CSV) to its end, as curl does: on PostgreSQL its server-side
        # cursor must close inside this test's transaction, not in the next test's.
        b"".join(response.streaming_content)
        response.close()

    assert response.status_code in (200, 201), getattr(response, "content", b"")[:500]
    if response.status_code == 201 and "/payments/" in " ".join(curl_commands()[index]):
        body = response.json()
        # The payment example names a customer and an invoice the demo has.
        assert body["customer_external_id"] == "CUST-000001"
        assert all(e["code"] != "invoice_not_found" for e in body["exceptions"])


def test_the_graphql_example_runs_against_demo_data(demo_data):
    user = UserFactory(username="readme", role="viewer")
    token = token_for(user)

    response = APIClient().post(
        "/graphql/",
        {"query": blocks("graphql")[0], "variables": {"rep": None}},
        format="json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )

    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body["errors"]
    assert body["data"]["kpis"]["arBalance"]["currency"] == "USD"


def test_the_feed_examples_show_the_payment_example_once_it_is_posted(demo_data):
    """The demo's history is seeded in bulk, not as events (README): the feed starts with the
    changes made to it, such as the README's payment."""
    token = token_for(UserFactory(username="readme", role="admin"))
    commands = {" ".join(c): c for c in curl_commands()}
    (payment,) = [c for text, c in commands.items() if "-X POST" in text and "/payments/" in text]
    (typed,) = [c for text, c in commands.items() if "/events/?type=" in text]
    assert replay(APIClient(), token, typed).json()["results"] == []

    posted = replay(APIClient(), token, payment).json()
    body = replay(APIClient(), token, typed).json()

    assert [(e["type"], e["object_id"]) for e in body["results"]] == [
        ("payment.posted", str(posted["id"])),
    ]
