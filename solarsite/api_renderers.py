"""The API's JSON renderer: DRF's, except that an answer always renders.

DRF's renderer fails on a lone surrogate ("\\ud800": valid in JSON, not in UTF-8) echoed from
a client's input, and it fails after the view returned, when the request's data may already be
committed. This one escapes such an answer to ASCII instead, which every JSON client reads.
"""

from __future__ import annotations

from rest_framework import renderers


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            self.ensure_ascii = True  # a renderer instance serves one response
            return super().render(data, accepted_media_type, renderer_context)
