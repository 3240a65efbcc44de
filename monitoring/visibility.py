"""The visibility rule: which stations a user may see. Every page and API endpoint uses it."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from monitoring.models import PowerStation


def stations_visible_to(user) -> QuerySet[PowerStation]:
    """Operators and administrators see every station; an owner sees their customer's."""
    stations = PowerStation.objects.all()
    if not user.is_authenticated or not user.is_active:
        return stations.none()
    if user.sees_all_stations:
        return stations
    if user.customer_id is None:
        return stations.none()
    return stations.filter(customer_id=user.customer_id)


def visible_station_or_404(user, code: str) -> PowerStation:
    """The station with this code if the user may see it; 404 otherwise, never 403."""
    try:
        return stations_visible_to(user).get(code=code)
    except PowerStation.DoesNotExist:
        raise Http404("No plant with this code is visible to you.") from None
