from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "xiangzhi.ledger"
    label = "ledger"
    verbose_name = _("区块链存证")

    def ready(self) -> None:
        from xiangzhi.core.backup import register_state
        from xiangzhi.core.services import register_audit_sink

        from .services import append_audit_rows, backup_state

        register_audit_sink(append_audit_rows)  # 区块链存证: every audit row is a ledger leaf
        register_state("ledger", backup_state)  # a backup's manifest holds the tree head; a restore must reproduce it
