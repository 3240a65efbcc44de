from django.urls import path

from monitoring import api, commands_api, station_api

urlpatterns: list = [
    path("ingest", api.IngestView.as_view(), name="api-ingest"),
    path("collectors/heartbeat", api.HeartbeatView.as_view(), name="api-heartbeat"),
    path("stations", station_api.StationList.as_view(), name="api-stations"),
    path("stations/search", station_api.StationSearch.as_view(), name="api-station-search"),
    path("stations/overview", station_api.StationOverview.as_view(), name="api-overview"),
    path("stations/<str:code>", station_api.StationDetail.as_view(), name="api-station"),
    path(
        "stations/<str:code>/status",
        station_api.StationStatusView.as_view(),
        name="api-station-status",
    ),
    path("stations/<str:code>/power", station_api.StationPower.as_view(), name="api-power"),
    path("stations/<str:code>/inverters", station_api.InverterList.as_view(), name="api-inverters"),
    path(
        "stations/<str:code>/inverters/<int:number>",
        station_api.InverterDetail.as_view(),
        name="api-inverter",
    ),
    path(
        "stations/<str:code>/inverters/<int:number>/latest",
        station_api.InverterLatest.as_view(),
        name="api-inverter-latest",
    ),
    path(
        "stations/<str:code>/inverters/<int:number>/readings",
        station_api.InverterReadings.as_view(),
        name="api-inverter-readings",
    ),
    path("keyvalue/<str:key>", station_api.KeyValueView.as_view(), name="api-keyvalue"),
    # Remote commands
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
]
