"""The API's HTML renderer (its JSON renderer is DRF's own). Kept apart from api_views: DRF
imports the renderers while it builds its views."""

from __future__ import annotations

from rest_framework import renderers

from solarsite.middleware import BROWSABLE_API_POLICY


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's browsable API, for developers in a browser. Its pages set inline styles (markup
    and Bootstrap's scripts), so they alone allow inline style; inline script stays refused."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Security-Policy"] = BROWSABLE_API_POLICY
        return super().render(data, accepted_media_type, renderer_context)
