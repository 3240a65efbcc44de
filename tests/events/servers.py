"""Real servers for the notification tests: aiosmtpd, and the Solapi stand-in over HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from tests.faults.peers_solapi import (  # noqa: F401 (the stand-in lives with the fault peers)
    SOLAPI_KEY,
    SOLAPI_SECRET,
    SOLAPI_SENDER,
    SolapiStandIn,
)


# --- SMTP -------------------------------------------------------------------------------------
class Inbox:
    def __init__(self) -> None:
        self.messages: list = []
        self.connections: list = []  # the client address of each message's SMTP connection

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        self.connections.append(session.peer)
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for rcpts, m in self.messages if address in rcpts]


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None


# --- a webhook receiver -----------------------------------------------------------------------
class WebhookReceiver:
    """Takes webhook POSTs on loopback and checks their signature.

    `redirect_to` makes it answer 302 to that address; `trickle` makes it answer one byte of its
    status line every half second, for ever (a receiver that would hold a sender with no
    deadline); `requests` records (path, headers) of every request.
    """

    def __init__(self, secret: str, *, redirect_to: str = "", trickle: bool = False) -> None:
        self.bodies: list[dict] = []
        self.requests: list[tuple[str, dict]] = []
        self.trickled = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.path, dict(self.headers)))
                if trickle:
                    return receiver._trickle(self.wfile)
                if redirect_to:
                    self.send_response(302)
                    self.send_header("Location", redirect_to)
                    self.end_headers()
                    return
                expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(expected, self.headers.get("X-Solarsite-Signature", ""))
                if ok:
                    receiver.bodies.append(json.loads(body))
                self.send_response(204 if ok else 401)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _trickle(self, out) -> None:
        try:
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 10_000:
                out.write(bytes([byte]))
                out.flush()
                self.trickled += 1
                time.sleep(0.5)
        except OSError:
            pass  # the sender hung up

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
