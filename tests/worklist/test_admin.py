"""The worklist admin page: the same lines as the API, links to act on them."""

from .conftest import AS_OF


def test_worklist_page(history, admin_client):
    response = admin_client.get("/admin/worklist/riskmodel/worklist/", {"as_of": AS_OF})
    assert response.status_code == 200
    page = response.context["page"]
    assert [item.invoice_number for item in page.results] == ["A-5", "A-4", "N-1"]
    links = response.context["rows"][0]["links"]
    assert links["invoice"] == f"/admin/receivables/invoice/{history.a5.pk}/change/"
    assert links["activity"] == (
        f"/admin/receivables/collectionactivity/add/?customer={history.acme.pk}"
        f"&invoice={history.a5.pk}&kind=note"
    )
    assert links["promise"] == (
        f"/admin/receivables/promisetopay/add/?invoice={history.a5.pk}&amount=500.00"
        "&created_date=2026-06-30"
    )
    content = response.content.decode()
    assert "487.50" in content
    assert "Hold: a quantity dispute" in content


def test_bad_filter_is_a_message_not_an_error(history, admin_client):
    response = admin_client.get("/admin/worklist/riskmodel/worklist/", {"as_of": "nope"})
    assert response.status_code == 200
    assert response.context["page"] is None
    # A sentence for a person; the code stays in the API.
    assert "As of: &#x27;nope&#x27; is not a date (YYYY-MM-DD)." in response.content.decode()
    assert "invalid_date" not in response.content.decode()


def test_risk_models_list_links_the_worklist(db, admin_client):
    response = admin_client.get("/admin/worklist/riskmodel/")
    assert response.status_code == 200
    assert "/admin/worklist/riskmodel/worklist/" in response.content.decode()
