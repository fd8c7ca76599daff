from django.urls import path

from .views import bank, public, staff

app_name = "recognitions"

urlpatterns = [
    path("notices/", public.notices, name="notices"),
    path("notices/<int:pk>/object/", public.object_to, name="object"),
    path("me/", public.me, name="me"),
    path("me/nominate/", public.nominate_self, name="nominate_self"),
    path("certificate/<str:token>.png", public.certificate_png, name="certificate_png"),
    path("certificate/<str:token>.pdf", public.certificate_pdf, name="certificate_pdf"),
    path("staff/", staff.dashboard, name="dashboard"),
    path("staff/nominate/", staff.nominate, name="nominate"),
    path("staff/quotas/", staff.quota, name="quota"),
    path("staff/<int:pk>/", staff.detail, name="detail"),
    path("staff/<int:pk>/step/", staff.step, name="step"),
    path("staff/<int:pk>/training/", staff.training, name="training"),
    path("staff/<int:pk>/objections/<int:objection_id>/answer/", staff.answer, name="answer"),
    path("bank/", bank.desk, name="bank"),
    path("bank/check/", bank.check, name="bank_check_code"),
    path("bank/checks/<int:pk>/", bank.check_result, name="bank_check"),
    path("bank/checks/<int:pk>/loan/", bank.record_loan, name="bank_loan"),
]
