from django.urls import path

from .views import staff

app_name = "villages"

urlpatterns = [
    path("staff/", staff.workbench, name="workbench"),
    path("staff/dashboard/", staff.dashboard, name="dashboard"),
    path("staff/standards/", staff.standards, name="standards"),
    path("staff/applications/<int:pk>/", staff.application, name="application"),
    path("staff/evidence/<int:pk>/", staff.evidence_file, name="evidence"),
    path("staff/<str:code>/", staff.record, name="record"),
    path("staff/<str:code>/archive/", staff.archive, name="archive"),
]
