from django.urls import path

from accounts import api

urlpatterns = [
    path("auth/login", api.LoginView.as_view(), name="api-login"),
    path("auth/logout", api.LogoutView.as_view(), name="api-logout"),
    path("me", api.MeView.as_view(), name="api-me"),
    path("customers", api.CustomerList.as_view(), name="api-customers"),
    path("users", api.UserList.as_view(), name="api-users"),
]
