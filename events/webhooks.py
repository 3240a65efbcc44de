"""Webhooks: which addresses a webhook may call, and the POST that calls only those.

A webhook's address comes from a plant owner, so it must not let an owner make the server call
its own network (the cloud's metadata service at 169.254.169.254, a database on 127.0.0.1, the
office LAN). Loopback, private, link-local, shared, multicast and reserved addresses are
refused, IPv4 and IPv6 alike, including IPv6 forms that carry an IPv4 address inside
(::ffff:127.0.0.1, 64:ff9b::a9fe:a9fe, 2002:7f00:1::).

1. When the address is saved (the form, the API and the admin all run the model field's
   validator), its host is resolved and every address it resolves to is checked; the owner is
   told which address was refused and why.
2. At send time the host is resolved again and every address checked again, and the connection
   goes to a checked address: nothing resolves the name a second time, so a DNS answer that
   changes in between (DNS rebinding) cannot slip through.
3. Redirects are not followed: a 3xx is a failure that names where it pointed.
4. One deadline covers the whole POST (the DNS lookup, connecting, TLS, sending, every read of
   the answer), so a receiver that trickles its answer cannot hold the send job.

WEBHOOK_ALLOWED_HOSTS lets an administrator allow host names, addresses or networks (an
intranet receiver, or a test's server on loopback).
"""

from __future__ import annotations

import ipaddress
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

import httpcore
import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# getaddrinfo has no timeout of its own: it runs here, and the caller waits at most its deadline.
_resolver = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-dns")
_HTTP_ERRORS = (
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    OSError,
)


class WebhookError(Exception):
    """Why a webhook could not be called; permanent when trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent


@dataclass(frozen=True)
class WebhookAnswer:
    status: int
    request_id: str


@dataclass(frozen=True)
class _Target:
    url: httpx.URL
    addresses: tuple[IPAddress, ...]


# --- which addresses -------------------------------------------------------------------------
def address_refusal(address: IPAddress) -> str:
    """Why a webhook may not call this address, or "" when it may."""
    inner = _embedded_ipv4(address)
    if inner is not None:
        return address_refusal(inner)
    if address.is_loopback:
        return _("this server itself (loopback)")
    if address.is_link_local:
        return _("link-local, where cloud metadata services answer")
    if address.is_multicast:
        return _("multicast")
    if address.is_private:
        return _("a private network")
    if address.is_unspecified or address.is_reserved or not address.is_global:
        return _("not a public address")
    return ""


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, NAT64 or 6to4), if any."""
    if address.version != 6:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def _allowed() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    names, networks = set(), []
    for entry in settings.WEBHOOK_ALLOWED_HOSTS:
        entry = entry.strip().strip("[]").rstrip(".").lower()
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            if entry:
                names.add(entry)
    return names, networks


def _addresses_check(host: str, addresses: list[IPAddress]) -> None:
    names, networks = _allowed()
    if host.rstrip(".").lower() in names:
        return
    for address in addresses:
        if any(address in network for network in networks):
            continue
        if reason := address_refusal(address):
            raise WebhookError(
                _(
                    "%(host)s points to %(address)s, %(reason)s: a webhook may only call public "
                    "internet addresses. Ask an administrator to allow this host if it is yours."
                )
                % {"host": host, "address": address, "reason": reason},
                permanent=True,
            )


# --- resolving -------------------------------------------------------------------------------
def _target(url: str, *, deadline: float) -> _Target:
    """The parsed URL and the checked addresses of its host."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise WebhookError(_("This is not a web address."), permanent=True) from exc
    if parsed.scheme not in ("http", "https"):
        raise WebhookError(_("A webhook address starts with http:// or https://."), permanent=True)
    host = parsed.raw_host.decode("ascii")  # an international name in its DNS (IDNA) form
    if not host:
        raise WebhookError(_("The webhook address has no host name."), permanent=True)
    addresses = _host_addresses(host, deadline=deadline)
    _addresses_check(host, addresses)
    return _Target(parsed, tuple(addresses))


def _host_addresses(host: str, *, deadline: float) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    lookup = _resolver.submit(socket.getaddrinfo, host, None, type=socket.SOCK_STREAM)
    try:
        answers = lookup.result(timeout=max(deadline - time.monotonic(), 0.001))
    except FutureTimeout as exc:
        message = _("The host %(host)s did not resolve in time.") % {"host": host}
        raise WebhookError(message) from exc
    except (OSError, UnicodeError) as exc:
        raise WebhookError(
            _("The host %(host)s could not be found; check the address.") % {"host": host}
        ) from exc
    # The scope of an IPv6 link-local answer ("fe80::1%eth0") is dropped: it is refused anyway.
    found = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in answers]
    return list(dict.fromkeys(found))


def webhook_url_validate(url: str) -> None:
    """The model field's validator: refuse an address a webhook may not call, saying why."""
    if not url:
        return
    deadline = time.monotonic() + settings.NOTIFY_TIMEOUT_SECONDS
    try:
        _target(url, deadline=deadline)
    except WebhookError as exc:
        raise ValidationError(exc.message, code="webhook_address") from None


# --- calling ---------------------------------------------------------------------------------
def webhook_post(
    url: str, *, body: bytes, headers: dict[str, str], timeout: float
) -> WebhookAnswer:
    """POST `body` to a checked address of the URL's host, within `timeout` seconds in all."""
    deadline = time.monotonic() + timeout
    target = _target(url, deadline=deadline)
    url = target.url
    request_headers = [(b"Host", url.netloc), (b"Content-Length", str(len(body)).encode())]
    request_headers += [(name.encode(), value.encode()) for name, value in headers.items()]
    backend = _PinnedBackend(target.addresses, deadline=deadline)
    try:
        with httpcore.ConnectionPool(network_backend=backend, max_connections=1) as pool:
            with pool.stream(
                "POST",
                httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port,
                             target=url.raw_path),
                headers=request_headers,
                content=body,
            ) as response:  # fmt: skip
                # The answer's body is never read: a receiver cannot make it large or slow.
                answer_headers = {k.decode().lower(): v.decode("latin-1")
                                  for k, v in response.headers}  # fmt: skip
    except _HTTP_ERRORS as exc:
        raise WebhookError(
            _("The webhook did not answer: %(error)s") % {"error": str(exc) or type(exc).__name__}
        ) from exc
    if 300 <= response.status < 400:
        raise WebhookError(
            _(
                "The webhook answered %(status)s, a redirect to %(location)s; redirects are not "
                "followed, so save the final address instead."
            )
            % {"status": response.status, "location": answer_headers.get("location", "?")},
            permanent=True,
        )
    return WebhookAnswer(response.status, answer_headers.get("x-request-id", ""))


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by one deadline, however the peer trickles."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def _left(self, timeout: float | None, error: type[Exception]) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise error(_("out of time"))
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None) -> _DeadlineStream:
        left = self._left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._stream.start_tls(ssl_context, server_hostname, left), self._deadline
        )

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _PinnedBackend(httpcore.SyncBackend):
    """Connects to the addresses checked for this request, never to a fresh DNS answer.

    The URL keeps its host name, so the Host header, TLS SNI and the certificate check all use
    the name the owner gave.
    """

    def __init__(self, addresses: tuple[IPAddress, ...], *, deadline: float) -> None:
        self.addresses = addresses
        self.deadline = deadline

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        error: Exception = httpcore.ConnectError(_("no address to connect to"))
        for address in self.addresses:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise httpcore.ConnectTimeout(_("out of time"))
            try:
                stream = super().connect_tcp(
                    str(address), port, min(left, timeout or left), local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
                continue
            return _DeadlineStream(stream, self.deadline)
        raise error
