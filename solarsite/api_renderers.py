"""The API's renderers. Kept apart from api_views: DRF imports the renderers while it builds its
views.

- JSON: DRF's, except that an answer always renders. DRF's renderer fails on a lone surrogate
  ("\\ud800": valid in JSON, not in UTF-8) echoed from a client's input, and it fails after the
  view returned, when the request's data may already be committed. This one escapes such an
  answer to ASCII instead, which every JSON client reads. Compact answers are written by
  orjson, several times faster than the standard library on a 1,000-plant list: every value it
  does not write itself as DRF does goes through DRF's own encoder (times, dates, lazy
  translations, decimals), and an answer it refuses (a lone surrogate, an integer past 64
  bits) or an indented one goes the standard way. The JSON is DRF's either way; only a float's
  spelling may differ (1e16 for 1e+16), and a NaN, which DRF refuses, is null.
- HTML: DRF's browsable API, for developers in a browser, under its own content policy.
"""

from __future__ import annotations

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

from solarsite.middleware import BROWSABLE_API_POLICY

ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
_drf_default = JSONEncoder().default
LS, PS = "\u2028".encode(), "\u2029".encode()


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if (
            data is not None
            and self.compact
            and not self.ensure_ascii
            and self.get_indent(accepted_media_type, renderer_context or {}) is None
        ):
            try:
                body = orjson.dumps(data, default=_drf_default, option=ORJSON_OPTIONS)
            except orjson.JSONEncodeError:
                pass
            else:  # DRF escapes these two line separators for JavaScript's sake; so do we
                return body.replace(LS, b"\\u2028").replace(PS, b"\\u2029")
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
