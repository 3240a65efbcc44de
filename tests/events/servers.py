"""Real servers for the notification tests: aiosmtpd, and a Solapi stand-in over HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

SOLAPI_KEY = "TESTKEY0000000001"
SOLAPI_SECRET = "test-secret-not-a-real-one"


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


# --- a Solapi stand-in ------------------------------------------------------------------------
_AUTH = re.compile(
    r"^HMAC-SHA256 apiKey=(?P<key>[^,]+), date=(?P<date>[^,]+), salt=(?P<salt>[^,]+), "
    r"signature=(?P<signature>[0-9a-f]{64})$"
)


class SolapiStandIn:
    """Answers POST /messages/v4/send like Solapi, after checking the HMAC authorization."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.rejected: list[str] = []
        self.failing = False
        self.lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, answer = stand_in.answer(self.path, self.headers, body)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, path: str, headers, body: bytes) -> tuple[int, dict]:
        if path != "/messages/v4/send":
            return 404, {"errorCode": "NotFound", "errorMessage": path}
        problem = self.auth_problem(headers.get("Authorization", ""))
        if problem:
            with self.lock:
                self.rejected.append(problem)
            return 401, {"errorCode": "SignatureDoesNotMatch", "errorMessage": problem}
        if self.failing:
            return 500, {"errorCode": "InternalError", "errorMessage": "try later"}
        message = json.loads(body)["message"]
        with self.lock:
            self.received.append(message)
            number = len(self.received)
        return 200, {
            "groupId": f"G{number}",
            "messageId": f"M{number}",
            "to": message["to"],
            "from": message["from"],
            "type": message["type"],
            "statusCode": "2000",
            "statusMessage": "정상 접수(이통사로 접수 예정)",
        }

    @staticmethod
    def auth_problem(header: str) -> str:
        match = _AUTH.match(header)
        if not match:
            return f"malformed authorization: {header!r}"
        if match["key"] != SOLAPI_KEY:
            return "unknown api key"
        date = datetime.strptime(match["date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs(datetime.now(UTC) - date) > timedelta(minutes=15):
            return "date too far from now"
        expected = hmac.new(
            SOLAPI_SECRET.encode(), (match["date"] + match["salt"]).encode(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, match["signature"]):
            return "signature does not match"
        return ""

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
