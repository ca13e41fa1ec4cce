from django.apps import AppConfig


class O2CApiConfig(AppConfig):
    """The project package as an app: holds app-agnostic API state (idempotency keys)."""

    name = "o2c_api"
    verbose_name = "API"
    default_auto_field = "django.db.models.BigAutoField"
