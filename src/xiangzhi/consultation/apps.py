from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationConfig(AppConfig):
    name = "xiangzhi.consultation"
    label = "consultation"
    verbose_name = _("智能咨询")

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the knowledge base check
