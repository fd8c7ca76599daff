from django.urls import path

from . import views

app_name = "ledger"

urlpatterns = [
    path("", views.status, name="status"),
    path("key", views.key, name="key"),
    path("bundle/<str:token>/", views.bundle, name="bundle"),
]
