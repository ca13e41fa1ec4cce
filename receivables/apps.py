from django.apps import AppConfig


class ReceivablesConfig(AppConfig):
    name = "receivables"
    verbose_name = "Receivables"

    def ready(self) -> None:
        from receivables import rollup

        rollup.connect_signals()
