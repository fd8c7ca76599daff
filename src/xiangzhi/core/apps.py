from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "xiangzhi.core"
    label = "core"
    verbose_name = _("核心")

    def ready(self) -> None:
        from . import checks  # noqa: F401 — registers the deployment checks


class XiangzhiAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the site that uses the platform's sign-in (see ``admin_site``)."""

    default = False  # CoreConfig stays the configuration of "xiangzhi.core"
    default_site = "xiangzhi.core.admin_site.XiangzhiAdminSite"
