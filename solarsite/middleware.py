"""What every request passes through first: the client's real address behind a reverse proxy,
the headers that tell a browser what a page may load and use, and the API's answers to polling
clients (ETag / 304 and gzip)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.middleware.gzip import GZipMiddleware
from django.middleware.http import ConditionalGetMiddleware
from django.utils.cache import patch_vary_headers

# Pages load their own scripts, styles, images and fonts only; nothing inline, nothing from
# elsewhere, no framing. Data blocks (<script type="application/json">) are not scripts.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# DRF's browsable API (solarsite.api_renderers) needs inline styles.
BROWSABLE_API_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
# Nothing here needs the camera, the microphone, the position or payments.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone",
        "payment", "usb",
    )
)  # fmt: skip


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response (a view may set its own)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class ClientAddressMiddleware:
    """Behind a reverse proxy every request comes from the proxy's address. When a request
    comes from one of TRUSTED_PROXIES, REMOTE_ADDR becomes the client's address from
    CLIENT_ADDRESS_HEADER, so the login lockout, the throttles, the login history and the
    collectors' addresses all see the client. From anyone else the header is ignored: a client
    could write anything in it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        remote = request.META.get("REMOTE_ADDR", "")
        header = "HTTP_" + settings.CLIENT_ADDRESS_HEADER.upper().replace("-", "_")
        forwarded = request.META.get(header, "")
        if forwarded and _is_trusted(remote, tuple(settings.TRUSTED_PROXIES)):
            request.META["REMOTE_ADDR"] = client_address(
                remote=remote, forwarded=forwarded, proxies=tuple(settings.TRUSTED_PROXIES)
            )
        return self.get_response(request)


def client_address(*, remote: str, forwarded: str, proxies: tuple[str, ...]) -> str:
    """The client behind a chain of trusted proxies: the right-most address in the header that
    is not itself a trusted proxy (each proxy appends the address it was called from, so what
    lies left of that address is the client's own claim). X-Real-IP holds one address."""
    for candidate in reversed([part.strip() for part in forwarded.split(",")]):
        if not _is_address(candidate):
            break
        if not _is_trusted(candidate, proxies):
            return candidate
        remote = candidate
    return remote


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_trusted(address: str, proxies: tuple[str, ...]) -> bool:
    if not proxies or not _is_address(address):
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in _networks(proxies))


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies)


def _is_api_json(request, response) -> bool:
    """A JSON answer of the API that may be compressed and revalidated. An answer marked
    `Cache-Control: no-store` carries a secret (the login's token) and is neither."""
    return (
        request.path.startswith("/api/")
        and response.get("Content-Type", "").startswith("application/json")
        and "no-store" not in response.get("Cache-Control", "")
    )


class ApiConditionalGetMiddleware(ConditionalGetMiddleware):
    """Polling clients (the station list, a station, the overview, and every other GET of the
    API): each JSON answer has an ETag of its body, and a GET whose If-None-Match holds it is
    answered 304 without the body. `Cache-Control: private, no-cache` lets a client's HTTP
    cache keep the answer but ask again every time; `Vary` keeps one user's or language's
    answer from serving another's."""

    def process_response(self, request, response):
        if request.method != "GET" or not _is_api_json(request, response):
            return response
        response.setdefault("Cache-Control", "private, no-cache")
        patch_vary_headers(response, ("Accept-Language", "Authorization", "Cookie"))
        return super().process_response(request, response)


class ApiGZipMiddleware(GZipMiddleware):
    """The API's JSON is gzip-compressed when the client accepts it. Only JSON under /api/:
    the pages' HTML and the browsable API hold the CSRF token beside reflected input, the
    setting BREACH needs, and so does the login's answer (its token beside the user id sent),
    which is no-store and left alone too."""

    def process_response(self, request, response):
        if not _is_api_json(request, response):
            return response
        return super().process_response(request, response)
