"""A fixed-window request counter per client address, kept in Django's cache.

The embedded default's cache is Django's local-memory cache (no CACHES setting): counts are per
process, which is right for ``make run``. Production runs several processes and should point
CACHES at the Redis it already runs for Celery, so that all of them share one count.

Behind a reverse proxy every request comes from the proxy's address: set
``SEPAKAT_TRUSTED_PROXY_COUNT`` to the number of proxies in front of the application, and the
client is then taken from ``X-Forwarded-For`` (that many entries from the right).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Rate:
    requests: int
    seconds: int


def client_address(request) -> str:
    proxies = int(getattr(settings, "SEPAKAT_TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def hit(request, scope: str, rate: Rate) -> tuple[int, int]:
    """Count one request of this client in ``scope``; return (requests in this window, seconds left)."""
    now = int(time.time())
    window = now // rate.seconds
    address = hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
    key = f"ratelimit:{scope}:{address}:{window}"
    cache.add(key, 0, timeout=rate.seconds + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=rate.seconds + 5)
        count = 1
    return count, rate.seconds - (now % rate.seconds)
