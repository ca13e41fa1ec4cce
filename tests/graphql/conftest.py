"""GraphQL test helpers: post a document as a role and get the decoded answer."""

import pytest


@pytest.fixture
def gql(make_client):
    """`gql(query, variables, role="admin")` posts to /graphql/ with that role's token.

    Returns the decoded JSON body (`{"data": ..., "errors": [...]}`); `role=None` is anonymous.
    """
    clients = {}

    def run(query: str, variables: dict | None = None, role: str | None = "admin") -> dict:
        if role not in clients:
            clients[role] = make_client(role)
        response = clients[role].post(
            "/graphql/", {"query": query, "variables": variables or {}}, format="json"
        )
        assert response.status_code == 200, response.content
        return response.json()

    return run
