from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from monitoring.visibility import stations_visible_to


@login_required
def station_list(request):
    stations = stations_visible_to(request.user).select_related("customer")
    return render(request, "monitoring/station_list.html", {"stations": stations})
