"""Every server-rendered page, under the paths and URL names (and namespaces) the templates use."""

from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from web.pages import alarms, login, plants, reports, revenue

login_pages = [
    path("login/", login.LoginView.as_view(), name="login"),
    path("logout/", login.LogoutView.as_view(), name="logout"),
    path("password/", login.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
]
report_pages = [
    path("reports/", reports.reports, name="reports"),
    re_path(r"^export/(?P<kind>daily|monthly)\.(?P<fmt>csv|xlsx)$", reports.export, name="export"),
]
alarm_pages = [
    path("", alarms.alarm_list, name="list"),
    path("acknowledge/", alarms.acknowledge_many, name="acknowledge"),
    path("alarms/<int:alarm_id>/", alarms.alarm_detail, name="alarm"),
    path("alarms/<int:alarm_id>/acknowledge/", alarms.acknowledge_one, name="acknowledge_one"),
    path("notifications/", alarms.my_notifications, name="my_notifications"),
    path("notifications/new/", alarms.subscription_edit, name="subscription_new"),
    path("notifications/<int:subscription_id>/", alarms.subscription_edit, name="subscription"),
    path(
        "notifications/<int:subscription_id>/delete/",
        alarms.subscription_delete,
        name="subscription_delete",
    ),
]
revenue_pages = [
    path(
        "report/<str:code>/<int:year>-<int:month>.pdf",
        revenue.monthly_report,
        name="monthly-report",
    ),
]
plant_pages = [
    path("", plants.overview, name="home"),
    path("map/", plants.fleet_map, name="fleet-map"),
    path("search/", plants.search, name="search"),
    path("plants/<str:code>/", plants.plant, name="plant"),
    path("plants/<str:code>/inverters/<int:number>/", plants.inverter, name="inverter"),
    path("plants/<str:code>/commands/", plants.plant_command_queue, name="plant-command-queue"),
    path(
        "plants/<str:code>/commands/<int:command_id>/cancel/",
        plants.plant_command_cancel,
        name="plant-command-cancel",
    ),
]

urlpatterns = [
    path("accounts/", include(login_pages)),
    path("generation/", include((report_pages, "generation"))),
    path("events/", include((alarm_pages, "events"))),
    path("economics/", include((revenue_pages, "economics"))),
    path("", include(plant_pages)),
]
