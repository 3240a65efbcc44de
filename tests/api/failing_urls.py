"""The project's URLs and handlers, plus two views under /api/ that fail as a bug would."""

from __future__ import annotations

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from solarsite.urls import handler404, handler500  # noqa: F401 (the project's, unchanged)
from solarsite.urls import urlpatterns as project


class BrokenApiView(APIView):
    permission_classes = [AllowAny]

    def get(self, request, version=None):
        raise RuntimeError("a bug in an API view")


def broken_view(request, version=None):
    raise RuntimeError("a bug in a plain view")


urlpatterns = [
    path("api/<version>/broken", BrokenApiView.as_view()),
    path("api/<version>/broken-plain", broken_view),
    *project,
]
