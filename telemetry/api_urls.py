from django.urls import path

from telemetry import api

urlpatterns = [
    path("ingest", api.IngestView.as_view(), name="api-ingest"),
    path("collectors/heartbeat", api.HeartbeatView.as_view(), name="api-heartbeat"),
]
