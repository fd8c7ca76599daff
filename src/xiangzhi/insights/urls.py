from django.urls import path

from . import views

app_name = "insights"

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("wall/", views.wall, name="wall"),
    path("export.xlsx", views.dashboard_export, name="dashboard_export"),
    path("cases/", views.cases, name="cases"),
    path("report/", views.report, name="report"),
    path("report.xlsx", views.report_export, name="report_export"),
    path("warnings/", views.warnings, name="warnings"),
    path("warnings/<int:pk>/ack/", views.acknowledge, name="acknowledge"),
    path("cases/<int:pk>/flags/", views.case_flags, name="case_flags"),
    path("screenings/", views.screenings, name="screenings"),
]
