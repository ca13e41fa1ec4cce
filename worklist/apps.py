from django.apps import AppConfig


class WorklistConfig(AppConfig):
    name = "worklist"
    verbose_name = "Collections worklist"

    def ready(self):
        # The customers' history by month is kept by the KPI rollup's tracker (a derived store).
        from metrics import rollup
        from worklist.history import STORE

        rollup.register(STORE)
