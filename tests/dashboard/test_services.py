"""Huddle actions and annotations: the services' rules, with exact values."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from dashboard import services
from dashboard.models import Annotation, HuddleAction
from tests.factories import SalesRepFactory, UserFactory

pytestmark = pytest.mark.django_db


def new_action(**changes) -> HuddleAction:
    fields = {
        "title": "Call the ten largest past-due customers",
        "owner": "Dana",
        "due_date": date(2026, 5, 8),
        "definition_of_done": "Each has a promise or a dispute",
        "kpi": "dso",
        "context": "DSO rose from 41.2 to 48.9 days (+7.7): amber.",
    }
    return services.create_action(**{**fields, **changes})


def test_an_action_is_open_until_completed_on_its_day():
    # Given an action recorded in the huddle
    action = new_action(created_by=UserFactory(username="lead"))
    assert (action.status, action.done_date, action.created_by.username) == ("open", None, "lead")

    # When it is marked done
    done = services.complete_action(action, date(2026, 5, 6))

    # Then it is done on that day
    done.refresh_from_db()
    assert (done.status, done.done_date) == ("done", date(2026, 5, 6))


def test_completing_twice_is_refused_and_changes_nothing():
    # Given a done action
    action = services.complete_action(new_action(), date(2026, 5, 6))
    before = HuddleAction.objects.values().get()

    # When it is completed again
    with pytest.raises(ValidationError) as error:
        services.complete_action(action, date(2026, 5, 7))

    # Then action_already_done, and it keeps its first day
    assert error.value.code == "action_already_done"
    assert HuddleAction.objects.values().get() == before


def test_an_unknown_kpi_is_refused_and_nothing_is_stored():
    with pytest.raises(ValidationError) as error:
        new_action(kpi="days_to_nowhere")

    assert error.value.message_dict == {"kpi": ["Unknown KPI 'days_to_nowhere'."]}
    assert error.value.error_dict["kpi"][0].code == "unknown_kpi"
    assert not HuddleAction.objects.exists()


def test_a_missing_definition_of_done_is_refused():
    with pytest.raises(ValidationError) as error:
        new_action(definition_of_done="")

    assert error.value.error_dict["definition_of_done"][0].code == "blank"
    assert not HuddleAction.objects.exists()


def test_an_annotation_for_a_rep_is_stored_and_changed():
    rep = SalesRepFactory(name="Ana")
    note = services.create_annotation(note_date=date(2026, 3, 2), text="Price change", rep=rep)

    changed = services.update_annotation(note, text="Price list 2026")

    assert Annotation.objects.values_list("note_date", "text", "rep__name").get() == (
        date(2026, 3, 2),
        "Price list 2026",
        "Ana",
    )
    assert changed.pk == note.pk
