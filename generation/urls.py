from django.urls import re_path

from generation import views

app_name = "generation"
urlpatterns = [
    re_path(r"^export/(?P<kind>daily|monthly)\.(?P<fmt>csv|xlsx)$", views.export, name="export"),
]
