"""URL map. Each app contributes its pages; the API lives at /api/v1/ (see xiangzhi.api)."""

from django.contrib import admin
from django.urls import include, path

from xiangzhi.api import api
from xiangzhi.recognitions.views.public import verify as recognition_verify

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("ledger/", include("xiangzhi.ledger.urls")),
    path("cases/", include("xiangzhi.disputes.urls")),
    path("consult/", include("xiangzhi.consultation.urls")),
    path("insights/", include("xiangzhi.insights.urls")),
    path("outreach/", include("xiangzhi.outreach.urls")),
    path("network/", include("xiangzhi.network.urls")),
    path("recognitions/", include("xiangzhi.recognitions.urls")),
    # the URL a certificate's QR code holds: /r/<statement>.<signature>
    path("r/<str:token>", recognition_verify, name="recognition_verify"),
    path("legality/", include("xiangzhi.legality.urls")),
    path("villages/", include("xiangzhi.villages.urls")),
    path("timebank/", include("xiangzhi.timebank.urls")),
    path("", include("xiangzhi.web.urls")),
]
