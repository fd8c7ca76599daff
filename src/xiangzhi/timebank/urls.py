from django.urls import path

from .views import public, staff

app_name = "timebank"

urlpatterns = [
    path("me/", public.me, name="me"),
    path("me/redeem/<int:pk>/", public.redeem, name="redeem"),
    path("me/donate/", public.donate, name="donate"),
    path("me/consent/", public.consent, name="consent"),
    path("staff/", staff.workbench, name="workbench"),
    path("staff/record/", staff.record, name="record"),
    path("staff/register/", staff.register, name="register"),
    path("staff/activities/<int:pk>/verify/", staff.verify, name="verify"),
    path("staff/members/<int:pk>/", staff.member, name="member"),
    path("staff/members/<int:pk>/statement.xlsx", staff.member_xlsx, name="member_xlsx"),
    path("staff/report.xlsx", staff.report_xlsx, name="report_xlsx"),
    path("staff/catalogue/", staff.catalogue, name="catalogue"),
    path("staff/catalogue/new/", staff.item_save, name="item_new"),
    path("staff/catalogue/<int:pk>/", staff.item_save, name="item_save"),
    path("staff/leaderboard/", staff.leaderboard, name="leaderboard"),
]
