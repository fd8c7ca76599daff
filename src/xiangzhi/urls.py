"""URL map. Each app contributes its pages; the API lives at /api/v1/ (see xiangzhi.api)."""

from django.contrib import admin
from django.urls import include, path

from xiangzhi.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("ledger/", include("xiangzhi.ledger.urls")),
    path("cases/", include("xiangzhi.disputes.urls")),
    path("consult/", include("xiangzhi.consultation.urls")),
    path("insights/", include("xiangzhi.insights.urls")),
    path("outreach/", include("xiangzhi.outreach.urls")),
    path("timebank/", include("xiangzhi.timebank.urls")),
    path("", include("xiangzhi.web.urls")),
]
