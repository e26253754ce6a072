"""Notices by WhatsApp, through an HTTP gateway that Sepakat calls and a provider stands behind.

Sepakat does not speak any provider's API. It speaks one small contract, and an adapter (a few lines in
front of a provider: Meta's WhatsApp Business Platform, a local aggregator, an agency's own service) turns
it into that provider's call. The contract, version 1:

    POST <WHATSAPP_GATEWAY_URL>
    Authorization: Bearer <WHATSAPP_GATEWAY_TOKEN>
    Content-Type: application/json; charset=utf-8
    Idempotency-Key: <the same for every attempt at the same message>

    {"to": "+6281234567890", "text": "[Sepakat] ..."}

- ``to`` is the official's number in international form (+62..., permissions.Official.whatsapp_number);
- ``text`` is plain text, at most 1,000 characters: the notice's title, its text and the link to its page
  (or, for a daily digest, the waiting notices one after the other);
- any 2xx answer means accepted (its body is ignored); anything else, no answer within WHATSAPP_TIMEOUT
  seconds or no connection is a failure, tried again later by notices.delivery. A gateway that cannot
  tell whether it already sent a message after a lost answer may use ``Idempotency-Key`` to send it once.
- No redirects are followed; the token is only ever sent to the configured address.

Without WHATSAPP_GATEWAY_URL (the embedded default) there is no WhatsApp: each WhatsApp delivery is given
up at once, and its error says why, for administrators to read.
"""

import json
from collections.abc import Sequence

import urllib3
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import Notice
from . import NOTICE_CENTRE_PATH, ChannelError, ChannelUnavailable, absolute, link_of

TEXT_LIMIT = 1000
DIGEST_BODY_LIMIT = 200  # of each notice's text in a digest, so that more of them fit
NOT_CONFIGURED = _("Gateway WhatsApp belum dikonfigurasi (WHATSAPP_GATEWAY_URL kosong); pesan WhatsApp tidak "
                   "dikirim.")
REFUSED = _("Gateway WhatsApp menjawab HTTP %(status)s%(detail)s.")
UNREACHABLE = _("Gateway WhatsApp tidak dapat dihubungi (%(reason)s).")
ELLIPSIS = "…"


class GatewayNotConfigured(ChannelUnavailable):
    pass


class GatewayError(ChannelError):
    pass


_pool: urllib3.PoolManager | None = None


def _http() -> urllib3.PoolManager:
    global _pool  # one pool per process (each Celery worker's own, made after the fork)
    if _pool is None:
        _pool = urllib3.PoolManager(num_pools=2, maxsize=4, retries=False)
    return _pool


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    if limit <= 0:
        return ""
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def text_for(notices: Sequence[Notice], *, digest: bool = False) -> str:
    """The message's text, never more than TEXT_LIMIT characters, the links kept whole."""
    with translation.override("id"):
        if not digest:
            notice = notices[0]
            link = link_of(notice)
            title = _clip(f"[Sepakat] {notice.title}", TEXT_LIMIT - len(link) - 2)
            body = _clip(notice.body, TEXT_LIMIT - len(title) - len(link) - 4)
            return "\n\n".join(filter(None, [title, body, link]))[:TEXT_LIMIT]
        head = ngettext("[Sepakat] Ringkasan harian: %(count)d pemberitahuan",
                        "[Sepakat] Ringkasan harian: %(count)d pemberitahuan", len(notices)) % {
            "count": len(notices)}
        centre = absolute(NOTICE_CENTRE_PATH)
        parts, used = [head], len(head)
        for index, notice in enumerate(notices, start=1):
            rest = len(notices) - index + 1
            more = (ngettext("…dan %(count)d lainnya: %(link)s", "…dan %(count)d lainnya: %(link)s", rest)
                    % {"count": rest, "link": centre})
            item = "\n".join(filter(None, [f"{index}. {notice.title}", _clip(notice.body, DIGEST_BODY_LIMIT),
                                           link_of(notice)]))
            room_after = TEXT_LIMIT - used - len(item) - 2
            last = index == len(notices)
            if room_after >= 0 and (last or room_after >= len(more) + 2):
                parts.append(item)
                used += len(item) + 2
                continue
            parts.append(more)
            break
        return "\n\n".join(parts)[:TEXT_LIMIT]


def send(*, address: str, notices: Sequence[Notice], digest: bool = False, key: str = "") -> None:
    url, token = settings.WHATSAPP_GATEWAY_URL, settings.WHATSAPP_GATEWAY_TOKEN
    if not url:
        raise GatewayNotConfigured(str(NOT_CONFIGURED))
    payload = {"to": address, "text": text_for(notices, digest=digest)}
    headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    timeout = urllib3.Timeout(connect=settings.WHATSAPP_TIMEOUT, read=settings.WHATSAPP_TIMEOUT)
    try:
        response = _http().request("POST", url, body=json.dumps(payload).encode(), headers=headers,
                                   timeout=timeout, retries=False, redirect=False, preload_content=False)
        try:
            status = response.status
            detail = response.read(300, decode_content=True) if not 200 <= status < 300 else b""
        finally:
            response.release_conn()
    except urllib3.exceptions.HTTPError as error:  # no connection, timed out, broken answer
        raise GatewayError(str(UNREACHABLE % {"reason": error.__class__.__name__})) from error
    if not 200 <= status < 300:
        shown = " ".join(detail.decode("utf-8", "replace").split())[:200]
        raise GatewayError(str(REFUSED % {"status": status, "detail": f": {shown}" if shown else ""}))
