"""Helpers to drive the Django admin in tests: form posts with their inline management data."""

from django.contrib.messages import get_messages
from django.urls import reverse


def admin_url(model, view: str, *args) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def post_form(client, url: str, data: dict):
    """POST `data` to an admin add/change page, with empty management forms for its inlines.

    Inline formsets posted with no forms leave existing inline rows alone.
    """
    page = client.get(url)
    assert page.status_code == 200
    payload = dict(data)
    for inline in page.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        payload[f"{prefix}-TOTAL_FORMS"] = "0"
        payload[f"{prefix}-INITIAL_FORMS"] = "0"
    return client.post(url, payload)


def run_action(client, model, action: str, objects) -> list[str]:
    """Run a changelist action on `objects`; returns the messages shown."""
    response = client.post(
        admin_url(model, "changelist"),
        {"action": action, "_selected_action": [obj.pk for obj in objects]},
        follow=True,
    )
    assert response.status_code == 200
    return [str(message) for message in get_messages(response.wsgi_request)]


def form_errors(response) -> dict:
    """Errors of the admin form on a re-rendered page ({} when the save went through)."""
    if response.status_code == 302:
        return {}
    return response.context["adminform"].form.errors.get_json_data()
