from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = "Inbox"

    def ready(self) -> None:
        from . import rule_vocabulary, webhook_contract

        webhook_contract.register()
        rule_vocabulary.register()
