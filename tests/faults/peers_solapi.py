"""A strict stand-in for Solapi's messages v4 API on loopback: the parts solarsite uses.

It checks what Solapi checks where it matters to us: the HMAC-SHA256 authorization of every
call (a signature used twice is refused), the shape of every body, and the life of a message
group: PENDING until it is sent, messages added only while it is pending, sent at most once,
and never sent empty. A sent group's messages are what reached phones (`delivered`).

Faults to order:
- `failing`: every call answers 500.
- `late`: the calls named in it ("send", "add", "create", "info", "list") do their work, then
  answer only after `late_seconds`, when a client with a shorter timeout has given up: the
  message may be sent while the client never hears so.
- `lost`: the calls named in it never arrive: the connection hangs for `late_seconds` and
  closes, and nothing is done.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SOLAPI_KEY = "TESTKEY0000000001"
SOLAPI_SECRET = "test-secret-not-a-real-one"
SOLAPI_SENDER = "0212345678"

_AUTH = re.compile(
    r"^HMAC-SHA256 apiKey=(?P<key>[^,]+), date=(?P<date>[^,]+), salt=(?P<salt>[^,]+), "
    r"signature=(?P<signature>[0-9a-f]{64})$"
)
_GROUP = re.compile(r"^/messages/v4/groups/(?P<group>G4V[0-9A-Z]+)(?P<rest>/messages|/send)?$")
_MOBILE = re.compile(r"^01[016789]\d{7,8}$")
_MESSAGE_FIELDS = {"to", "from", "text", "type", "country", "subject", "imageId", "kakaoOptions",
                   "customFields", "autoTypeDetect"}  # fmt: skip
_GROUP_FIELDS = {"appId", "strict", "sdkVersion", "osPlatform", "customFields", "hint"}
ACCEPTED = "정상 접수(이통사로 접수 예정) "


class Refusal(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _euc_kr_bytes(text: str) -> int:
    return len(text.encode("euc-kr", errors="replace"))


class SolapiStandIn:
    def __init__(self) -> None:
        self.groups: dict[str, dict] = {}
        self.delivered: list[dict] = []
        self.calls: list[str] = []
        self.rejected: list[str] = []
        self.failing = False
        self.late: set[str] = set()
        self.lost: set[str] = set()
        self.late_seconds = 0.0
        self._signatures: set[str] = set()
        self._ids = 0
        self.lock = threading.Lock()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def handle_one(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if stand_in.call_named(method, self.path) in stand_in.lost:
                    time.sleep(stand_in.late_seconds)
                    self.close_connection = True
                    return
                status, answer, call = stand_in.answer(method, self.path, self.headers, body)
                if call in stand_in.late:
                    time.sleep(stand_in.late_seconds)  # the work is done; the answer is late
                payload = json.dumps(answer, ensure_ascii=False).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting

            def do_GET(self):
                self.handle_one("GET")

            def do_POST(self):
                self.handle_one("POST")

            def do_PUT(self):
                self.handle_one("PUT")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    # --- what tests read ---------------------------------------------------------------------
    @property
    def received(self) -> list[dict]:
        """The messages that reached phones, as the client sent them."""
        with self.lock:
            return [dict(m["sent_as"]) for m in self.delivered]

    def deliveries_per_reference(self) -> Counter:
        with self.lock:
            return Counter(
                m["sent_as"].get("customFields", {}).get("notification") for m in self.delivered
            )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- answering ---------------------------------------------------------------------------
    def call_named(self, method: str, path: str) -> str:
        try:
            return self._route(method, path)[0]
        except Refusal:
            return "?"

    def answer(self, method: str, path: str, headers, body: bytes) -> tuple[int, dict, str]:
        call = "?"
        try:
            call, group_id = self._route(method, path)
            self._authorize(headers.get("Authorization", ""))
            if self.failing:
                raise Refusal(500, "InternalError", "try later")
            data = self._json(body) if method != "GET" else {}
            with self.lock:
                self.calls.append(call)
                return 200, getattr(self, f"_{call}")(group_id, data), call
        except Refusal as refusal:
            if refusal.status == 401:
                with self.lock:
                    self.rejected.append(refusal.message)
            answer = {"errorCode": refusal.code, "errorMessage": refusal.message}
            return refusal.status, answer, call

    @staticmethod
    def _route(method: str, path: str) -> tuple[str, str]:
        if (method, path.rstrip("/")) == ("POST", "/messages/v4/groups"):
            return "create", ""
        match = _GROUP.match(path)
        routes = {("GET", None): "info", ("PUT", "/messages"): "add",
                  ("GET", "/messages"): "list", ("POST", "/send"): "send"}  # fmt: skip
        if match and (method, match["rest"]) in routes:
            return routes[(method, match["rest"])], match["group"]
        raise Refusal(404, "NotFound", f"{method} {path}")

    def _authorize(self, header: str) -> None:
        match = _AUTH.match(header)
        if not match:
            raise Refusal(401, "InvalidAuthorization", f"malformed authorization: {header!r}")
        if match["key"] != SOLAPI_KEY:
            raise Refusal(401, "InvalidApiKey", "unknown api key")
        try:
            date = datetime.strptime(match["date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError as exc:
            raise Refusal(401, "InvalidAuthorization", "malformed date") from exc
        if abs(datetime.now(UTC) - date) > timedelta(minutes=15):
            raise Refusal(401, "RequestTimeTooSkewed", "date too far from now")
        expected = hmac.new(
            SOLAPI_SECRET.encode(), (match["date"] + match["salt"]).encode(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, match["signature"]):
            raise Refusal(401, "SignatureDoesNotMatch", "signature does not match")
        with self.lock:
            if match["signature"] in self._signatures:
                raise Refusal(401, "DuplicatedSignature", "signature used before")
            self._signatures.add(match["signature"])

    @staticmethod
    def _json(body: bytes) -> dict:
        try:
            data = json.loads(body or b"{}")
        except ValueError as exc:
            raise Refusal(400, "ValidationError", "the body is not JSON") from exc
        if not isinstance(data, dict):
            raise Refusal(400, "ValidationError", "the body is not an object")
        return data

    def _next_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}4V{datetime.now(UTC):%Y%m%d%H%M%S}{self._ids:017d}"

    def _group(self, group_id: str) -> dict:
        if group_id not in self.groups:
            raise Refusal(404, "ResourceNotFound", f"group {group_id} does not exist")
        return self.groups[group_id]

    def _info_of(self, group: dict) -> dict:
        # As Solapi's samples show: `total` counts only once the group is sent; what was added
        # to a pending group shows in `registeredSuccess`.
        registered = len(group["messages"])
        sent = registered if group["status"] != "PENDING" else 0
        return {
            "_id": group["groupId"],
            "groupId": group["groupId"],
            "status": group["status"],
            "count": {"total": sent, "sentTotal": sent, "sentSuccess": sent, "sentFailed": 0,
                      "sentPending": 0, "sentReplacement": 0, "refund": 0,
                      "registeredSuccess": registered, "registeredFailed": 0},  # fmt: skip
            "customFields": group["customFields"],
            "dateCreated": group["dateCreated"],
            "dateSent": group["dateSent"],
        }

    # --- the calls ---------------------------------------------------------------------------
    def _create(self, _group_id: str, data: dict) -> dict:
        if unknown := set(data) - _GROUP_FIELDS:
            raise Refusal(400, "ValidationError", f"unknown fields {sorted(unknown)}")
        group_id = self._next_id("G")
        self.groups[group_id] = {
            "groupId": group_id, "status": "PENDING", "messages": {},
            "customFields": data.get("customFields") or {},
            "dateCreated": datetime.now(UTC).isoformat(), "dateSent": None,
        }  # fmt: skip
        return self._info_of(self.groups[group_id])

    def _info(self, group_id: str, _data: dict) -> dict:
        return self._info_of(self._group(group_id))

    def _add(self, group_id: str, data: dict) -> dict:
        group = self._group(group_id)
        if group["status"] != "PENDING":
            raise Refusal(400, "ValidationError", "messages can only be added to a pending group")
        messages = data.get("messages")
        if set(data) != {"messages"} or not isinstance(messages, list) or not messages:
            raise Refusal(400, "ValidationError", "expected {messages: [...]}")
        results = []
        for message in messages:
            self._check_message(message)
            message_id = self._next_id("M")
            group["messages"][message_id] = {
                "sent_as": message, "messageId": message_id, "statusCode": "2000"
            }  # fmt: skip
            results.append({"to": message["to"], "from": message["from"], "type": message["type"],
                            "country": "82", "messageId": message_id, "statusCode": "2000",
                            "statusMessage": ACCEPTED, "accountId": "12925149"})  # fmt: skip
        return {"errorCount": 0, "resultList": results}

    @staticmethod
    def _check_message(message) -> None:
        if not isinstance(message, dict) or set(message) - _MESSAGE_FIELDS:
            raise Refusal(400, "ValidationError", f"bad message {message!r}")
        for name in ("to", "from", "text", "type"):
            if not isinstance(message.get(name), str) or not message[name]:
                raise Refusal(400, "ValidationError", f"{name} is required")
        if not _MOBILE.match(message["to"]):
            raise Refusal(400, "ValidationError", f"to {message['to']!r} is not a mobile number")
        if message["from"] != SOLAPI_SENDER:
            raise Refusal(400, "ValidationError", "from is not a registered sender number")
        limit = {"SMS": 90, "LMS": 2000}.get(message["type"])
        if limit is None or _euc_kr_bytes(message["text"]) > limit:
            raise Refusal(400, "ValidationError", f"text does not fit a {message['type']}")
        if "subject" in message and (
            message["type"] != "LMS" or _euc_kr_bytes(message["subject"]) > 40
        ):
            raise Refusal(400, "ValidationError", "subject only for an LMS, 40 bytes at most")
        fields = message.get("customFields", {})
        if not isinstance(fields, dict) or any(
            len(k) > 30 or not isinstance(v, str) or len(v) > 100 for k, v in fields.items()
        ):
            raise Refusal(400, "ValidationError", "customFields: keys 30, values 100 characters")

    def _list(self, group_id: str, _data: dict) -> dict:
        group = self._group(group_id)
        return {
            "startKey": None,
            "limit": 20,
            "messageList": {
                message_id: {**m["sent_as"], "messageId": message_id, "groupId": group_id,
                             "statusCode": m["statusCode"]}  # fmt: skip
                for message_id, m in group["messages"].items()
            },
        }

    def _send(self, group_id: str, _data: dict) -> dict:
        group = self._group(group_id)
        if not group["messages"]:
            raise Refusal(404, "ResourceNotFound", "the group has no messages")
        if group["status"] != "PENDING":
            raise Refusal(400, "ValidationError", f"the group is already {group['status']}")
        group["status"] = "SENDING"
        group["dateSent"] = datetime.now(UTC).isoformat()
        for message in group["messages"].values():
            message["statusCode"] = "4000"  # handed to the carrier
            self.delivered.append(message)
        return self._info_of(group)
