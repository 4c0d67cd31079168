"""The WeChat platform API, as the desk uses it: the access token, customer-service messages, media.

Official accounts (客服消息): GET /cgi-bin/token, POST /cgi-bin/message/custom/send, GET
/cgi-bin/media/get under INTAKE["WECHAT_API_BASE"]. Enterprise WeChat customer service (微信客服):
GET /cgi-bin/gettoken, POST /cgi-bin/kf/send_msg under INTAKE["WECOM_API_BASE"]. The token is kept in
Django's cache until a little before it expires and fetched again once when the platform says it is
invalid or expired (errcode 40001, 40014, 42001). Connections go through config.outbound_guard.
"""

import hashlib
import http.client
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache

from config import outbound_guard

from .models import WeChatAccount

logger = logging.getLogger(__name__)

TOKEN_ERRORS = {40001, 40014, 42001}
# The customer last wrote more than 48 hours ago: customer-service messages are refused.
WINDOW_CLOSED_ERRORS = {45015, 95018}
# The token is refreshed this many seconds before the platform says it expires.
TOKEN_MARGIN_SECONDS = 300
TIMEOUT_SECONDS = 10


class WeChatApiError(OSError):
    """The platform could not be reached or answered an error (the task retries it)."""

    def __init__(self, message: str, *, errcode: int | None = None) -> None:
        super().__init__(message)
        self.errcode = errcode


class WindowClosed(WeChatApiError):
    """The platform refuses the message: the customer's 48-hour window is over."""


@dataclass(frozen=True)
class Media:
    content: bytes
    content_type: str
    filename: str


def _base(account: WeChatAccount) -> str:
    key = "WECOM_API_BASE" if account.kind == WeChatAccount.Kind.KF else "WECHAT_API_BASE"
    return settings.INTAKE[key].rstrip("/")


def _request(method: str, url: str, *, body: bytes | None = None, limit: int = 1 << 20) -> tuple[str, bytes]:
    """(content type, body) of one request; no redirect is followed."""
    try:
        conn, path = outbound_guard.http_connection(url, timeout=TIMEOUT_SECONDS)
        try:
            headers = {"Content-Type": "application/json; charset=utf-8"} if body is not None else {}
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read(limit + 1)
            content_type = response.getheader("Content-Type", "")
            disposition = response.getheader("Content-Disposition", "")
            status = response.status
        finally:
            conn.close()
    except outbound_guard.OutboundRefused as exc:
        raise WeChatApiError(f"WeChat API: {exc}") from None
    except (OSError, http.client.HTTPException) as exc:
        logger.info("WeChat API %s: %s", url.split("?", 1)[0], exc)
        raise WeChatApiError("WeChat API: the connection failed.") from None
    if status != 200:
        raise WeChatApiError(f"WeChat API answered HTTP {status}.")
    if len(data) > limit:
        raise WeChatApiError(f"WeChat API: the answer is larger than {limit} bytes.")
    return f"{content_type}\n{disposition}", data


def _json(raw: bytes) -> dict:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise WeChatApiError("WeChat API: the answer is not JSON.") from None
    if not isinstance(data, dict):
        raise WeChatApiError("WeChat API: the answer is not a JSON object.")
    return data


def _raise_for(data: dict) -> None:
    errcode = data.get("errcode") or 0
    if errcode:
        message = f"WeChat API error {errcode}: {str(data.get('errmsg', ''))[:200]}"
        cls = WindowClosed if errcode in WINDOW_CLOSED_ERRORS else WeChatApiError
        raise cls(message, errcode=errcode)


def _token_key(account: WeChatAccount) -> str:
    # A new AppSecret is a new key: a token of the old secret is never used again.
    fingerprint = hashlib.sha256(f"{account.app_id}:{account.app_secret}".encode()).hexdigest()[:16]
    return f"channels_intake:wechat-token:{account.pk}:{fingerprint}"


def access_token(account: WeChatAccount, *, refresh: bool = False) -> str:
    """The account's access token, from the cache unless `refresh` or expired."""
    if not (account.app_id and account.app_secret):
        raise WeChatApiError("The WeChat account has no AppID or AppSecret: it cannot send.")
    key = _token_key(account)
    if not refresh:
        cached = cache.get(key)
        if cached:
            return cached
    if account.kind == WeChatAccount.Kind.KF:
        query = {"corpid": account.app_id, "corpsecret": account.app_secret}
        url = f"{_base(account)}/cgi-bin/gettoken?{urlencode(query)}"
    else:
        query = {"grant_type": "client_credential", "appid": account.app_id, "secret": account.app_secret}
        url = f"{_base(account)}/cgi-bin/token?{urlencode(query)}"
    data = _json(_request("GET", url)[1])
    _raise_for(data)
    token = data.get("access_token")
    if not isinstance(token, str) or not token:
        raise WeChatApiError("WeChat API: no access_token in the answer.")
    try:
        expires_in = int(data.get("expires_in", 7200))
    except (TypeError, ValueError):
        expires_in = 7200
    cache.set(key, token, timeout=max(expires_in - TOKEN_MARGIN_SECONDS, 60))
    return token


def _with_token[T](account: WeChatAccount, call: Callable[[str], T]) -> T:
    """Run call(token); once more with a fresh token when the platform says the token is stale."""
    try:
        return call(access_token(account))
    except WeChatApiError as exc:
        if exc.errcode not in TOKEN_ERRORS:
            raise
    return call(access_token(account, refresh=True))


def send_text(*, account: WeChatAccount, openid: str, text: str) -> None:
    """Send a customer-service text message; WindowClosed when the 48-hour window is over."""
    if account.kind == WeChatAccount.Kind.KF:
        payload = {"touser": openid, "open_kfid": account.open_kfid, "msgtype": "text"}
        path = "/cgi-bin/kf/send_msg"
    else:
        payload = {"touser": openid, "msgtype": "text"}
        path = "/cgi-bin/message/custom/send"
    payload["text"] = {"content": text}
    body = json.dumps(payload, ensure_ascii=False).encode()

    def call(token: str) -> None:
        url = f"{_base(account)}{path}?{urlencode({'access_token': token})}"
        _raise_for(_json(_request("POST", url, body=body)[1]))

    _with_token(account, call)


def download_media(*, account: WeChatAccount, media_id: str, limit: int) -> Media:
    """A temporary media file the customer sent (kept by the platform for 3 days)."""

    def call(token: str) -> Media:
        url = f"{_base(account)}/cgi-bin/media/get?{urlencode({'access_token': token, 'media_id': media_id})}"
        head, data = _request("GET", url, limit=limit)
        content_type, disposition = head.split("\n", 1)
        if content_type.split(";")[0].strip() in {"application/json", "text/plain"}:
            _raise_for(_json(data))
            raise WeChatApiError("WeChat API: a JSON answer instead of the media.")
        filename = ""
        if "filename=" in disposition:
            filename = disposition.split("filename=", 1)[1].strip().strip('"')[:100]
        return Media(content=data, content_type=content_type, filename=filename or media_id[:60])

    return _with_token(account, call)


def kf_sync(*, account: WeChatAccount, cursor: str, event_token: str) -> dict:
    """One page of Enterprise WeChat customer-service messages after `cursor` (kf/sync_msg)."""
    payload = {"cursor": cursor, "token": event_token, "limit": 1000, "open_kfid": account.open_kfid}
    body = json.dumps(payload).encode()

    def call(token: str) -> dict:
        url = f"{_base(account)}/cgi-bin/kf/sync_msg?{urlencode({'access_token': token})}"
        data = _json(_request("POST", url, body=body, limit=8 << 20)[1])
        _raise_for(data)
        return data

    return _with_token(account, call)
