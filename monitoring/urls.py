from django.urls import path

from monitoring import views

urlpatterns = [
    path("", views.overview, name="home"),
    path("search/", views.search, name="search"),
    path("plants/<str:code>/", views.plant, name="plant"),
    path("plants/<str:code>/inverters/<int:number>/", views.inverter, name="inverter"),
    path("plants/<str:code>/commands/", views.plant_command_queue, name="plant-command-queue"),
    path(
        "plants/<str:code>/commands/<int:command_id>/cancel/",
        views.plant_command_cancel,
        name="plant-command-cancel",
    ),
]
