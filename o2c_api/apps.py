from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class O2CApiConfig(AppConfig):
    """The project package as an app: holds app-agnostic API state (idempotency keys)."""

    name = "o2c_api"
    verbose_name = "API"
    default_auto_field = "django.db.models.BigAutoField"


class O2CAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the project's site (`o2c_api.admin.O2CAdminSite`): its index
    shows the headline KPIs and links to the dashboard and the worklist."""

    default = False  # named in INSTALLED_APPS; the project app stays this module's default
    default_site = "o2c_api.admin.O2CAdminSite"
