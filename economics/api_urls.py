from django.urls import path

from economics import api

urlpatterns: list = [
    path("revenue", api.RevenueSummaryView.as_view(), name="api-revenue-summary"),
    path("revenue/customer", api.CustomerRevenueView.as_view(), name="api-revenue-customer"),
    path(
        "stations/<str:code>/revenue",
        api.StationRevenueView.as_view(),
        name="api-station-revenue",
    ),
]
