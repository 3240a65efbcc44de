from django.urls import path

from monitoring import api, commands_api

urlpatterns: list = [
    path("ingest", api.IngestView.as_view(), name="api-ingest"),
    path("collectors/heartbeat", api.HeartbeatView.as_view(), name="api-heartbeat"),
    # --- field (issue 8): remote commands ---
    path(
        "stations/<str:code>/commands",
        commands_api.StationCommandsView.as_view(),
        name="api-station-commands",
    ),
    path(
        "stations/<str:code>/commands/<int:command_id>",
        commands_api.StationCommandView.as_view(),
        name="api-station-command",
    ),
    path(
        "collectors/commands",
        commands_api.CollectorCommandsView.as_view(),
        name="api-collector-commands",
    ),
    path(
        "collectors/commands/<int:command_id>/result",
        commands_api.CollectorCommandResultView.as_view(),
        name="api-collector-command-result",
    ),
    # --- end field ---
]
