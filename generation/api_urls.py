from django.urls import path

from generation import api

urlpatterns = [
    path("stations/<str:code>/generation/curve", api.DayCurve.as_view(), name="api-day-curve"),
    path("stations/<str:code>/generation/hourly", api.Hourly.as_view(), name="api-hourly"),
    path("stations/<str:code>/generation/days", api.StationDays.as_view(), name="api-days"),
    path("generation/daily", api.Daily.as_view(), name="api-daily"),
    path("generation/monthly", api.Monthly.as_view(), name="api-monthly"),
    path("generation/summary", api.Summary.as_view(), name="api-summary"),
    path("generation/run-time", api.RunTime.as_view(), name="api-run-time"),
    path("generation/regional-average", api.RegionalAverage.as_view(), name="api-regional"),
    path("generation/statistics", api.Statistics.as_view(), name="api-statistics"),
    path("generation/export", api.Export.as_view(), name="api-export"),
]
