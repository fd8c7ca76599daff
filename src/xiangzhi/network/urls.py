from django.urls import path

from .views import public, staff

app_name = "network"

urlpatterns = [
    path("v/<str:code>/", public.village, name="village"),
    path("v/<str:code>/reveal/", public.reveal, name="reveal"),
    path("s/<int:pk>/", public.site, name="site"),
    path("kiosk/", public.kiosk, name="kiosk"),
    path("staff/", staff.coverage, name="coverage"),
    path("staff/code/<str:code>.png", staff.youfa_code, name="youfa_code"),
    path("staff/terminals/", staff.terminal_list, name="terminals"),
    path("staff/terminals/<int:pk>/rotate/", staff.rotate_token, name="rotate_token"),
]
