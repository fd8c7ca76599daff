from django.urls import path

from .views import part2

app_name = "disputes_part2"

urlpatterns = [
    path("s/<str:token>/feedback/", part2.party_feedback, name="feedback"),
    path("joint/", part2.joint_list, name="joint_list"),
    path("joint/<int:pk>/", part2.joint_task, name="joint_task"),
    path("workbench/<int:pk>/tools/", part2.case_tools, name="case_tools"),
    path("workbench/<int:pk>/tools/act/", part2.case_tools_action, name="case_tools_action"),
    path("workbench/<int:pk>/documents/<slug:kind>.docx", part2.document, name="document"),
    path("workbench/<int:pk>/casefile.zip", part2.case_file, name="casefile"),
    path("import/", part2.import_cases, name="import"),
    path("import/template.xlsx", part2.import_template, name="import_template"),
    path("import/<int:pk>/", part2.import_status, name="import_status"),
    path("export.xlsx", part2.export, name="export"),
]
