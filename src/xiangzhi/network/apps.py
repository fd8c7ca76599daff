from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "xiangzhi.network"
    label = "network"
    verbose_name = _("公共法律服务网络")
