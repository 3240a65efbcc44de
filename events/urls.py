from django.urls import path

from events import views

app_name = "events"
urlpatterns = [
    path("", views.alarm_list, name="list"),
    path("acknowledge/", views.acknowledge_many, name="acknowledge"),
    path("alarms/<int:alarm_id>/", views.alarm_detail, name="alarm"),
    path("alarms/<int:alarm_id>/acknowledge/", views.acknowledge_one, name="acknowledge_one"),
    path("notifications/", views.my_notifications, name="my_notifications"),
    path("notifications/new/", views.subscription_edit, name="subscription_new"),
    path("notifications/<int:subscription_id>/", views.subscription_edit, name="subscription"),
    path(
        "notifications/<int:subscription_id>/delete/",
        views.subscription_delete,
        name="subscription_delete",
    ),
]
