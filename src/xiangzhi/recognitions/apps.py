from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecognitionsConfig(AppConfig):
    name = "xiangzhi.recognitions"
    label = "recognitions"
    verbose_name = _("法律明白人与e法贷")
