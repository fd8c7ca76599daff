from django.urls import path

from .views import staff

app_name = "legality"

urlpatterns = [
    path("staff/", staff.board, name="board"),
    path("staff/submit/", staff.submit, name="submit"),
    path("staff/dashboard/", staff.dashboard, name="dashboard"),
    path("staff/<int:pk>/", staff.submission_detail, name="submission"),
]
