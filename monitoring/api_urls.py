from django.urls import path

from monitoring import api

urlpatterns: list = [
    path("ingest", api.IngestView.as_view(), name="api-ingest"),
    path("collectors/heartbeat", api.HeartbeatView.as_view(), name="api-heartbeat"),
]
