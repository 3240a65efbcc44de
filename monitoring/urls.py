from django.urls import path

from monitoring import views

urlpatterns = [
    path("", views.station_list, name="home"),
]
