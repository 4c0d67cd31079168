"""Local stand-ins for the platforms we send to: a fake WeChat API and an app's callback receiver.

Both are real HTTP servers on a loopback port, in a thread of the test, speaking the real protocol
(WeChat's JSON API; our signed callback JSON, whose signature the receiver checks itself).
"""

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# The smallest PNG there is (1x1, transparent): detected as image/png by the evidence checks.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)
AMR = b"#!AMR\n" + b"\x3c" + bytes(31) * 4


@dataclass
class FakeWeChat:
    """The WeChat API as far as we use it: tokens, customer-service messages, temporary media."""

    app_id: str
    app_secret: str
    token_requests: int = 0
    tokens_issued: int = 0
    current_token: str = ""
    sent: list[dict] = field(default_factory=list)
    kf_sent: list[dict] = field(default_factory=list)
    # OpenIDs whose 48-hour window the platform says is over (errcode 45015).
    closed_windows: set[str] = field(default_factory=set)
    media: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    # Enterprise WeChat customer service: messages kf/sync_msg hands out, after their cursor.
    kf_messages: list[dict] = field(default_factory=list)
    kf_sync_requests: list[dict] = field(default_factory=list)
    media_requests: int = 0
    fail_media_times: int = 0
    server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def expire_token(self) -> None:
        """The platform forgets the token (as when another process fetched a new one)."""
        self.current_token = "expired-by-the-platform"

    def _token(self, query: dict) -> tuple[int, dict]:
        self.token_requests += 1
        appid = query.get("appid") or query.get("corpid")
        secret = query.get("secret") or query.get("corpsecret")
        if appid != self.app_id or secret != self.app_secret:
            return 200, {"errcode": 40013, "errmsg": "invalid appid"}
        self.tokens_issued += 1
        self.current_token = f"ACCESS-{self.tokens_issued}"
        return 200, {"access_token": self.current_token, "expires_in": 7200}

    def handle(self, method: str, path: str, query: dict, body: bytes) -> tuple[int, str, bytes, dict]:
        def answer(data: dict) -> tuple[int, str, bytes, dict]:
            return 200, "application/json; encoding=utf-8", json.dumps(data).encode(), {}

        if method == "GET" and path in ("/cgi-bin/token", "/cgi-bin/gettoken"):
            return answer(self._token(query)[1])
        if query.get("access_token") != self.current_token or not self.current_token:
            return answer({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"})
        if method == "POST" and path in ("/cgi-bin/message/custom/send", "/cgi-bin/kf/send_msg"):
            data = json.loads(body)
            if data.get("touser") in self.closed_windows:
                return answer({"errcode": 45015, "errmsg": "response out of time limit"})
            (self.kf_sent if "kf" in path else self.sent).append(data)
            return answer({"errcode": 0, "errmsg": "ok"})
        if method == "POST" and path == "/cgi-bin/kf/sync_msg":
            data = json.loads(body)
            self.kf_sync_requests.append(data)
            start = int(data.get("cursor") or 0)
            page = self.kf_messages[start : start + 2]  # two a page, to see has_more followed
            end = start + len(page)
            return answer(
                {
                    "errcode": 0,
                    "errmsg": "ok",
                    "next_cursor": str(end),
                    "has_more": int(end < len(self.kf_messages)),
                    "msg_list": page,
                }
            )
        if method == "GET" and path == "/cgi-bin/media/get":
            self.media_requests += 1
            if self.fail_media_times:
                self.fail_media_times -= 1
                return 500, "text/plain", b"busy", {}
            found = self.media.get(query.get("media_id", ""))
            if found is None:
                return (
                    200,
                    "text/plain",
                    json.dumps({"errcode": 40007, "errmsg": "invalid media_id"}).encode(),
                    {},
                )
            content_type, content = found
            extension = "jpg" if content_type.startswith("image") else "amr"
            return (
                200,
                content_type,
                content,
                {"Content-disposition": f'attachment; filename="MEDIA.{extension}"'},
            )
        return 404, "text/plain", b"not found", {}


@dataclass
class CallbackReceiver:
    """An app's server: checks our signature itself and records what it accepted."""

    secret: str
    received: list[dict] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    attempts: int = 0
    # Answer 500 to this many requests first (to see the retries).
    fail_times: int = 0
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/feedback/callback"

    def handle(self, method: str, path: str, query: dict, body: bytes, headers: dict) -> tuple[int, bytes]:
        self.attempts += 1
        if self.fail_times:
            self.fail_times -= 1
            return 500, b"try later"
        timestamp = headers.get("X-Timestamp", "")
        expected = hmac.new(
            self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, headers.get("X-Signature", "")):
            self.refused.append("bad signature")
            return 401, b"bad signature"
        data = json.loads(body)
        data["_idempotency_key"] = headers.get("Idempotency-Key", "")
        self.received.append(data)
        return 200, b'{"ok": true}'


def _serve(handle_request) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _do(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, content_type, content, extra = handle_request(
                method, parts.path, query, body, self.headers
            )
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(content)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(content)

        def do_GET(self) -> None:
            self._do("GET")

        def do_POST(self) -> None:
            self._do("POST")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def start_wechat(*, app_id: str, app_secret: str) -> FakeWeChat:
    fake = FakeWeChat(app_id=app_id, app_secret=app_secret)
    fake.server = _serve(lambda m, p, q, b, h: fake.handle(m, p, q, b))
    return fake


def start_callback_receiver(*, secret: str) -> CallbackReceiver:
    receiver = CallbackReceiver(secret=secret)

    def handle(method, path, query, body, headers):
        status, content = receiver.handle(method, path, query, body, dict(headers.items()))
        return status, "application/json", content, {}

    receiver.server = _serve(handle)
    return receiver
