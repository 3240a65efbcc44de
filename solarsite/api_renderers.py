"""The API's renderers. Kept apart from api_views: DRF imports the renderers while it builds its
views.

- JSON: DRF's, except that an answer always renders. DRF's renderer fails on a lone surrogate
  ("\\ud800": valid in JSON, not in UTF-8) echoed from a client's input, and it fails after the
  view returned, when the request's data may already be committed. This one escapes such an
  answer to ASCII instead, which every JSON client reads.
- HTML: DRF's browsable API, for developers in a browser, under its own content policy.
"""

from __future__ import annotations

from rest_framework import renderers

from solarsite.middleware import BROWSABLE_API_POLICY


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            self.ensure_ascii = True  # a renderer instance serves one response
            return super().render(data, accepted_media_type, renderer_context)


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """Its pages set inline styles (markup and Bootstrap's scripts), so they alone allow inline
    style; inline script stays refused."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Security-Policy"] = BROWSABLE_API_POLICY
        return super().render(data, accepted_media_type, renderer_context)
