from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VillagesConfig(AppConfig):
    name = "xiangzhi.villages"
    label = "villages"
    verbose_name = _("民主法治村创建")
