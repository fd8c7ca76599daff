from django.urls import path

from .views import importing, joint, public, staff

app_name = "disputes"

urlpatterns = [
    path("apply/", public.apply, name="apply"),
    path("lookup/", public.lookup, name="lookup"),
    path("s/<str:token>/", public.status, name="status"),
    path("s/<str:token>/act/", public.party_action, name="party_action"),
    path("s/<str:token>/feedback/", public.party_feedback, name="feedback"),
    path("s/<str:token>/qr.png", public.qr_png, name="qr_png"),
    path("s/<str:token>/qr.svg", public.qr_svg, name="qr_svg"),
    path("s/<str:token>/slip/", public.slip, name="slip"),
    path("grid/new/", staff.grid_intake, name="grid_new"),
    path("workbench/", staff.workbench, name="workbench"),
    path("workbench/new/", staff.window_intake, name="new"),
    path("workbench/<int:pk>/", staff.case_detail, name="case"),
    path("workbench/<int:pk>/act/", staff.case_action, name="case_action"),
    path("workbench/<int:pk>/slip/", staff.staff_slip, name="staff_slip"),
    path("workbench/<int:pk>/documents/<slug:kind>.docx", staff.document, name="document"),
    path("workbench/<int:pk>/casefile.zip", staff.case_file, name="casefile"),
    path("export.xlsx", staff.export, name="export"),
    path("joint/", joint.joint_list, name="joint_list"),
    path("joint/<int:pk>/", joint.joint_task, name="joint_task"),
    path("import/", importing.import_cases, name="import"),
    path("import/template.xlsx", importing.import_template, name="import_template"),
    path("import/<int:pk>/", importing.import_status, name="import_status"),
]
