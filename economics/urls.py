from django.urls import path

from economics import views

app_name = "economics"
urlpatterns = [
    path(
        "report/<str:code>/<int:year>-<int:month>.pdf",
        views.monthly_report,
        name="monthly-report",
    ),
]
