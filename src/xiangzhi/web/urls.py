from django.urls import path

from xiangzhi.network.views import public as network_public

from .views import account, public, staff

app_name = "web"

urlpatterns = [
    path("", public.home, name="home"),
    # 找法律顾问: the village search of the legal service network, leading to each village's 有法码 page
    path("advisers/", network_public.villages, name="advisers"),
    path("healthz", public.healthz, name="healthz"),
    path("login/", account.staff_login, name="login"),
    path("login/totp/", account.totp_step, name="login_totp"),
    path("logout/", account.logout_view, name="logout"),
    path("account/totp/", account.totp_setup, name="totp_setup"),
    path("account/password/", account.password_change, name="password_change"),
    path("citizen/login/", account.citizen_login, name="citizen_login"),
    path("citizen/", account.citizen_home, name="citizen_home"),
    path("workbench/", staff.workbench, name="workbench"),
    path("workbench/switch-region/", staff.switch_region, name="switch_region"),
    path("workbench/regions/", staff.regions, name="regions"),
    path("workbench/regions/<str:code>/", staff.region_detail, name="region_detail"),
    path("workbench/organisations/<int:pk>/", staff.organisation_detail, name="organisation_detail"),
    path("workbench/people/<int:pk>/", staff.person_detail, name="person_detail"),
    path("workbench/audit/", staff.audit_log, name="audit"),
    path("workbench/tokens/", staff.api_tokens, name="api_tokens"),
    path("workbench/tokens/<int:pk>/revoke/", staff.revoke_api_token, name="revoke_api_token"),
    path("workbench/notifications/", staff.notifications, name="notifications"),
]
