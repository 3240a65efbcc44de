from django.urls import path

from field import api

urlpatterns = [
    path("collectors/commands", api.CollectorCommandsView.as_view(), name="api-collector-commands"),
    path(
        "collectors/commands/<int:command_id>/result",
        api.CollectorCommandResultView.as_view(),
        name="api-collector-command-result",
    ),
]
