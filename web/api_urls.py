"""The public REST API under /api/<version>/: every endpoint for people and their apps (the
collectors' endpoints are telemetry/api_urls.py and field/api_urls.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from web.api import accounts, alarms, commands, generation, history, revenue, stations

router = SimpleRouter(trailing_slash=False)
router.register("event-types", alarms.EventTypeViewSet, basename="api-event-type")
router.register("me/notification-settings", alarms.MySubscriptions, basename="api-subscription")

urlpatterns = [
    path("stations", stations.StationList.as_view(), name="api-stations"),
    path("stations/search", stations.StationSearch.as_view(), name="api-station-search"),
    path("stations/overview", stations.StationOverview.as_view(), name="api-overview"),
    path("stations/<str:code>", stations.StationDetail.as_view(), name="api-station"),
    path(
        "stations/<str:code>/status",
        stations.StationStatusView.as_view(),
        name="api-station-status",
    ),
    path("stations/<str:code>/power", stations.StationPower.as_view(), name="api-power"),
    path("stations/<str:code>/inverters", stations.InverterList.as_view(), name="api-inverters"),
    path(
        "stations/<str:code>/inverters/<int:number>",
        stations.InverterDetail.as_view(),
        name="api-inverter",
    ),
    path(
        "stations/<str:code>/inverters/<int:number>/latest",
        stations.InverterLatest.as_view(),
        name="api-inverter-latest",
    ),
    path(
        "stations/<str:code>/inverters/<int:number>/readings",
        stations.InverterReadings.as_view(),
        name="api-inverter-readings",
    ),
    path("keyvalue/<str:key>", stations.KeyValueView.as_view(), name="api-keyvalue"),
    path(
        "stations/<str:code>/commands",
        commands.StationCommandsView.as_view(),
        name="api-station-commands",
    ),
    path(
        "stations/<str:code>/commands/<int:command_id>",
        commands.StationCommandView.as_view(),
        name="api-station-command",
    ),
    path("auth/login", accounts.LoginView.as_view(), name="api-login"),
    path("auth/logout", accounts.LogoutView.as_view(), name="api-logout"),
    path("me", accounts.MeView.as_view(), name="api-me"),
    path("customers", accounts.CustomerList.as_view(), name="api-customers"),
    path("users", accounts.UserList.as_view(), name="api-users"),
    path(
        "stations/<str:code>/generation/curve",
        generation.DayCurve.as_view(),
        name="api-day-curve",
    ),
    path("stations/<str:code>/generation/hourly", generation.Hourly.as_view(), name="api-hourly"),
    path("stations/<str:code>/generation/days", generation.StationDays.as_view(), name="api-days"),
    path("generation/daily", generation.Daily.as_view(), name="api-daily"),
    path("generation/monthly", generation.Monthly.as_view(), name="api-monthly"),
    path("generation/summary", generation.Summary.as_view(), name="api-summary"),
    path("generation/run-time", generation.RunTime.as_view(), name="api-run-time"),
    path("generation/regional-average", generation.RegionalAverage.as_view(), name="api-regional"),
    path("generation/statistics", generation.Statistics.as_view(), name="api-statistics"),
    path("generation/export", generation.Export.as_view(), name="api-export"),
    path("alarms", alarms.AlarmList.as_view(), name="api-alarms"),
    path("alarms/acknowledge", alarms.AlarmsAcknowledge.as_view(), name="api-alarms-acknowledge"),
    path(
        "alarms/<int:alarm_id>/acknowledge",
        alarms.AlarmAcknowledge.as_view(),
        name="api-alarm-acknowledge",
    ),
    path("events/notify", alarms.NotifyList.as_view(), name="api-notify"),
    path(
        "alarms/classification",
        history.ErrorClassification.as_view(),
        name="api-error-classification",
    ),
    path(
        "stations/<str:code>/combiners/<int:number>/readings",
        history.CombinerHistory.as_view(),
        name="api-combiner-readings",
    ),
    path(
        "stations/<str:code>/sensors/readings",
        history.SensorHistory.as_view(),
        name="api-sensor-readings",
    ),
    path(
        "stations/<str:code>/grid-outages", history.GridOutages.as_view(), name="api-grid-outages"
    ),
    path(
        "stations/<str:code>/generation/counters",
        history.DayEndCounters.as_view(),
        name="api-day-end-counters",
    ),
    path("stations/<str:code>/events", alarms.StationEventLog.as_view(), name="api-station-events"),
    *router.urls,
    path("revenue", revenue.RevenueSummaryView.as_view(), name="api-revenue-summary"),
    path("revenue/customer", revenue.CustomerRevenueView.as_view(), name="api-revenue-customer"),
    path(
        "stations/<str:code>/revenue",
        revenue.StationRevenueView.as_view(),
        name="api-station-revenue",
    ),
]
