from django.urls import path

from .views import public, staff

app_name = "consultation"

urlpatterns = [
    path("", public.chat, name="chat"),
    path("c/<str:token>/", public.conversation, name="conversation"),
    path("law/<str:key>/", public.article, name="article"),
    path("workbench/", staff.workbench, name="workbench"),
    path("workbench/handoff/<int:pk>/", staff.handoff_detail, name="handoff"),
    path("workbench/faq/", staff.faq_list, name="faq_list"),
    path("workbench/faq/<int:pk>/", staff.faq_edit, name="faq_edit"),
    path("workbench/rewrites/", staff.rewrites, name="rewrites"),
    path("workbench/guidance/", staff.guidance_list, name="guidance_list"),
    path("workbench/guidance/<str:kind>/", staff.guidance_edit, name="guidance_edit"),
    path("workbench/dashboard/", staff.dashboard, name="dashboard"),
    path("workbench/dashboard/export/", staff.dashboard_export, name="dashboard_export"),
]
