"""Domain errors that are not plain validation failures."""

from django.core.exceptions import ValidationError


class Conflict(ValidationError):
    """The request is valid but clashes with the current state (an API answers 409).

    `details` carries machine-readable context, e.g. the id of the existing object.
    """

    def __init__(self, message: str, code: str, details: dict | None = None) -> None:
        super().__init__(message, code=code)
        self.details = details or {}
