"""Every model constraint of the project answers a machine-readable code when a write breaks
it (`full_clean`: the admin, the services, REST and GraphQL alike): its
`violation_error_code`, a member of its app's `errors.ErrorCode`, or Django's `unique` (an
unconditional unique constraint on fields with Django's message)."""

import importlib

from django.apps import apps
from django.db.models import UniqueConstraint

PROJECT_APPS = (
    "accounts",
    "receivables",
    "metrics",
    "dashboard",
    "dunning",
    "integrations",
    "outlook",
    "worklist",
    "o2c_api",
)


def _djangos_unique(constraint) -> bool:
    return (
        isinstance(constraint, UniqueConstraint)
        and bool(constraint.fields)
        and constraint.condition is None
        and constraint.violation_error_message == constraint.default_violation_error_message
    )


def test_every_constraint_answers_a_code_of_its_app():
    wrong = []
    for model in apps.get_models():
        app = model._meta.app_label
        if app not in PROJECT_APPS:
            continue
        for constraint in model._meta.constraints:
            code = constraint.violation_error_code
            if code is None and _djangos_unique(constraint):
                continue
            if code == "unique":  # Django's code: the error goes on the constraint's field
                continue
            enum = getattr(importlib.import_module(f"{app}.errors"), "ErrorCode", None)
            if enum is None or not isinstance(code, enum):
                wrong.append(f"{model._meta.label}.{constraint.name}: {code!r}")

    assert wrong == []
