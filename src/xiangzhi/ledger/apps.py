from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "xiangzhi.ledger"
    label = "ledger"
    verbose_name = _("区块链存证")

    def ready(self) -> None:
        from xiangzhi.core.services import register_audit_sink

        from .services import append_audit_rows

        register_audit_sink(append_audit_rows)  # 区块链存证: every audit row is a ledger leaf
