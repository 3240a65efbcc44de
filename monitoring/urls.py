from django.urls import path

from monitoring import views

urlpatterns = [
    path("", views.overview, name="home"),
    path("search/", views.search, name="search"),
    path("plants/<str:code>/", views.plant, name="plant"),
    path("plants/<str:code>/inverters/<int:number>/", views.inverter, name="inverter"),
]
