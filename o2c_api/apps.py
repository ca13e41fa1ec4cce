from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class O2CApiConfig(AppConfig):
    """The project package as an app: holds app-agnostic API state (idempotency keys)."""

    name = "o2c_api"
    verbose_name = "API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from o2c_api.caches import create_cache_tables

        # Not a domain side effect: the shared cache's table (o2c_api/caches.py) exists
        # wherever the schema does.
        post_migrate.connect(create_cache_tables, sender=self)


class O2CAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the project's site (`o2c_api.admin.O2CAdminSite`): its index
    shows the headline KPIs and links to the dashboard and the worklist."""

    default = False  # named in INSTALLED_APPS; the project app stays this module's default
    default_site = "o2c_api.admin.O2CAdminSite"
