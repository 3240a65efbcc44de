from django.urls import path, re_path

from generation import views

app_name = "generation"
urlpatterns = [
    path("reports/", views.reports, name="reports"),
    re_path(r"^export/(?P<kind>daily|monthly)\.(?P<fmt>csv|xlsx)$", views.export, name="export"),
]
