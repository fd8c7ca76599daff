from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegalityConfig(AppConfig):
    name = "xiangzhi.legality"
    label = "legality"
    verbose_name = _("合法性审查")

    def ready(self) -> None:
        from .services import records  # noqa: F401  (registers the ledger kind "legality.*")
