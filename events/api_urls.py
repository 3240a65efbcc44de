from django.urls import path
from rest_framework.routers import SimpleRouter

from events import api

router = SimpleRouter(trailing_slash=False)
router.register("event-types", api.EventTypeViewSet, basename="api-event-type")
router.register("me/notification-settings", api.MySubscriptions, basename="api-subscription")

urlpatterns = [
    path("alarms", api.AlarmList.as_view(), name="api-alarms"),
    path("alarms/acknowledge", api.AlarmsAcknowledge.as_view(), name="api-alarms-acknowledge"),
    path(
        "alarms/<int:alarm_id>/acknowledge",
        api.AlarmAcknowledge.as_view(),
        name="api-alarm-acknowledge",
    ),
    path("events/notify", api.NotifyList.as_view(), name="api-notify"),
    path("stations/<str:code>/events", api.StationEventLog.as_view(), name="api-station-events"),
    *router.urls,
]
