"""Sending notices by e-mail and WhatsApp, off the request path, once each, with retries.

A delivery is sent in three steps, so that no database lock is held while a server far away is slow:

1. **claim**, in a short transaction with the row locked: only a delivery that is waiting (pending, or failed
   and due again) is taken; its attempt is counted and ``next_attempt_at`` moved CLAIM_LEASE ahead. Another
   job for the same delivery (the broker redelivering it, the sweep, the eager send of the embedded
   default) finds it not due and does nothing;
2. **send** through the channel (notices.channels), outside any transaction;
3. **record**, in another short transaction: sent, or failed and due again after a pause (1, 2, 4, 8, 16
   minutes), or given up after MAX_ATTEMPTS attempts or at once when the channel is not set up here.

A job whose worker died between claim and record leaves a claim that runs out: the sweep
(deliveries_sweep, every minute) sends it again, and gives up once its attempts are used. A message is
therefore sent once, except when a worker dies after the server accepted it and before the record: then
it may be sent twice rather than never.

Daily digests (notices.models.DigestMode.DAILY) follow the same steps for all the waiting deliveries of
one official on one channel at once (digests_send, every morning): one message lists them all, and all are
recorded together. A digest that fails stays waiting (state DIGEST, with its error and attempts) and the
sweep tries it again when due.

Nothing here raises to its caller: a failed e-mail never undoes or blocks the approval that caused it.
"""

import hashlib
import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from audit.actions import AuditAction
from audit.services import chain_lock, event_record
from sepakat.queueing import by_scheduler, send_after_commit

from .channels import ChannelUnavailable, sender_for
from .models import Channel, Delivery, DeliveryState

logger = logging.getLogger(__name__)

# Pauses of 1, 2, 4, …, 32 minutes, then an hour each: about a day of a relay or gateway being down before a
# delivery is given up (and an administrator can still send it again).
RECIPIENT_INACTIVE = _("Akun penerima sudah dinonaktifkan; pesan tidak dikirim.")
CHANNEL_TURNED_OFF = _("Penerima sudah mematikan saluran ini; pesan tidak dikirim.")
MAX_ATTEMPTS = 30
LONGEST_PAUSE_MINUTES = 60
CLAIM_LEASE = timedelta(minutes=10)  # far longer than a send may take (EMAIL_TIMEOUT, WHATSAPP_TIMEOUT)
SWEEP_LIMIT = 200
SWEEP_BUDGET_SECONDS = 40  # a sweep stops sending before the next one is due (every 60 s, expiring at 50)
DIGEST_LIMIT = 200  # notices in one digest message; more are sent in a further one
ERROR_LIMIT = 500
LOST = _("Pengiriman terputus tanpa hasil tercatat (percobaan ke-%(attempts)d); tidak dicoba lagi.")
WAITING = (DeliveryState.PENDING, DeliveryState.FAILED)


def queue_after_commit(delivery_ids: list[int]) -> None:
    """Each delivery to a worker once the transaction commits; in the embedded default nothing: they are due
    now, and the scheduler's deliveries sweep sends them within seconds, not the click."""
    from .tasks import deliver

    if by_scheduler():
        return
    for delivery_id in delivery_ids:
        send_after_commit(deliver, delivery_id)


def delivery_backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** (max(attempts, 1) - 1), LONGEST_PAUSE_MINUTES))  # 1, 2, 4, …, 60, 60


def _secrets() -> list[str]:
    values = [getattr(settings, name, "") for name in ("EMAIL_HOST_PASSWORD", "WHATSAPP_GATEWAY_TOKEN")]
    return [value for value in values if isinstance(value, str) and len(value) >= 4]


def describe(error: BaseException) -> str:
    """What administrators read: the error's class and a short message, with no password or token in it."""
    message = " ".join(str(error).split())
    for secret in _secrets():
        message = message.replace(secret, "***")
    text = f"{error.__class__.__name__}: {message}" if message else error.__class__.__name__
    return text[:ERROR_LIMIT]


def _key(deliveries: list[Delivery]) -> str:
    """The same for every attempt at the same message (a gateway may use it to send the message once)."""
    ids = ",".join(str(d.pk) for d in sorted(deliveries, key=lambda d: d.pk))
    return "sepakat-" + hashlib.sha256(ids.encode()).hexdigest()[:32]


def _send(deliveries: list[Delivery], *, digest: bool) -> BaseException | None:
    """Send one message about the claimed deliveries (one channel, one address); the error, if any."""
    first = deliveries[0]
    try:
        with translation.override("id"):
            sender_for(first.channel)(address=first.address, notices=[d.notice for d in deliveries],
                                      digest=digest, key=_key(deliveries))
    except Exception as error:
        return error
    return None


# One delivery ----------------------------------------------------------------------------------------


def _claim(delivery_id: int, now: datetime) -> Delivery | None:
    with transaction.atomic():
        found = (Delivery.objects.select_for_update(of=("self",))
                 .select_related("notice__recipient__official").filter(pk=delivery_id).first())
        if found is None or found.state not in WAITING:
            return None  # sent, given up, waiting for the digest, or gone
        if found.next_attempt_at is not None and found.next_attempt_at > now:
            return None  # paused after a failure, or being sent by another job right now
        if found.attempts >= MAX_ATTEMPTS:
            _give_up(found, _lost(found.attempts))
            found.save(update_fields=["state", "next_attempt_at", "last_error"])
            return None
        unwanted = _no_longer_wanted(found)
        if unwanted:
            _give_up(found, unwanted)
            found.save(update_fields=["state", "next_attempt_at", "last_error"])
            return None
        found.attempts += 1
        found.next_attempt_at = now + CLAIM_LEASE
        found.save(update_fields=["attempts", "next_attempt_at"])
        return found


def _no_longer_wanted(delivery: Delivery) -> str:
    """Why a delivery made earlier must not go out now: its recipient's account was deactivated, or they
    turned the channel off since (their notice centre still has the notice). "" when it may go."""
    from .services import preference_of

    recipient = delivery.notice.recipient
    with translation.override("id"):
        if not recipient.is_active:
            return str(RECIPIENT_INACTIVE)
        preference = preference_of(recipient)
        wanted = preference.by_email if delivery.channel == Channel.EMAIL else preference.by_whatsapp
        return "" if wanted else str(CHANNEL_TURNED_OFF)


def _lost(attempts: int) -> str:
    with translation.override("id"):
        return str(LOST % {"attempts": attempts})


def _give_up(delivery: Delivery, reason: str) -> None:
    delivery.state = DeliveryState.GIVEN_UP
    delivery.next_attempt_at = None
    delivery.last_error = reason[:ERROR_LIMIT]
    logger.error("notice delivery %s (%s to %s) given up after %d attempt(s): %s", delivery.pk, delivery.channel,
                 delivery.address, delivery.attempts, delivery.last_error)


def _fail(delivery: Delivery, error: BaseException, now: datetime, *, waiting_state: str) -> None:
    """A failed attempt: paused before the next one, or given up (after the last, or when it cannot work)."""
    if isinstance(error, ChannelUnavailable) or delivery.attempts >= MAX_ATTEMPTS:
        _give_up(delivery, describe(error))
        return
    delivery.state = waiting_state
    delivery.next_attempt_at = now + delivery_backoff(delivery.attempts)
    delivery.last_error = describe(error)
    logger.warning("notice delivery %s (%s) failed, attempt %d of %d, next at %s: %s", delivery.pk,
                   delivery.channel, delivery.attempts, MAX_ATTEMPTS, delivery.next_attempt_at, delivery.last_error)


def _record(claimed: Delivery, error: BaseException | None) -> None:
    now = timezone.now()
    with transaction.atomic():
        current = Delivery.objects.select_for_update().filter(pk=claimed.pk).first()
        if current is None or current.state in (DeliveryState.SENT, DeliveryState.GIVEN_UP):
            return
        if error is None:  # sent: recorded whoever holds the claim now, so that nobody sends it again
            current.state, current.sent_at, current.next_attempt_at = DeliveryState.SENT, now, None
            current.last_error = ""
        elif (current.attempts, current.next_attempt_at) != (claimed.attempts, claimed.next_attempt_at):
            return  # our claim ran out and another job took the delivery: its result is the one to keep
        else:
            _fail(current, error, now, waiting_state=DeliveryState.FAILED)
        current.save(update_fields=["state", "sent_at", "next_attempt_at", "last_error"])


def delivery_send(delivery_id: int) -> bool:
    """Send one delivery if it is due and not sent yet; True when it was sent now. Never raises."""
    try:
        claimed = _claim(delivery_id, timezone.now())
        if claimed is None:
            return False
        error = _send([claimed], digest=False)
        _record(claimed, error)
        return error is None
    except Exception:
        logger.exception("notice delivery %s: sending failed unexpectedly", delivery_id)
        return False


def delivery_resend(*, delivery: Delivery, actor=None) -> bool:
    """An administrator asks for a failed or given-up delivery to be sent again now (the admin's action):
    a fresh set of attempts, queued after the commit, and an audit event. False when it is not failed or
    given up."""
    with transaction.atomic():
        chain_lock()  # the audit chain before the row (docs/adr/0012)
        current = Delivery.objects.select_for_update().select_related("notice").get(pk=delivery.pk)
        if current.state not in (DeliveryState.FAILED, DeliveryState.GIVEN_UP):
            return False
        old = {"state": current.state, "attempts": current.attempts}
        current.state, current.attempts, current.next_attempt_at = DeliveryState.PENDING, 0, timezone.now()
        current.save(update_fields=["state", "attempts", "next_attempt_at"])
        event_record(actor=actor, action=AuditAction.NOTICE_DELIVERY_RESENT, region=current.notice.region,
                     details={"delivery": current.pk, "notice": current.notice_id, "channel": current.channel,
                              "old": old, "new": {"state": current.state, "attempts": 0}})
        queue_after_commit([current.pk])
    return True


# Daily digests ---------------------------------------------------------------------------------------


def _due_digest(now: datetime) -> Q:
    return Q(state=DeliveryState.DIGEST) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


def _digest_claim(recipient_id: int, channel: str, address: str, now: datetime) -> list[Delivery]:
    with transaction.atomic():
        rows = list(Delivery.objects.select_for_update(of=("self",))
                    .select_related("notice__recipient__official")
                    .filter(_due_digest(now), channel=channel, address=address, notice__recipient_id=recipient_id)
                    .order_by("notice__created", "pk")[:DIGEST_LIMIT])
        claimed, lost = [], []
        unwanted = _no_longer_wanted(rows[0]) if rows else ""
        for row in rows:
            if unwanted or row.attempts >= MAX_ATTEMPTS:
                _give_up(row, unwanted or _lost(row.attempts))
                lost.append(row)
                continue
            row.attempts += 1
            row.next_attempt_at = now + CLAIM_LEASE
            claimed.append(row)
        Delivery.objects.bulk_update(lost, ["state", "next_attempt_at", "last_error"])
        Delivery.objects.bulk_update(claimed, ["attempts", "next_attempt_at"])
        return claimed


def _digest_record(claimed: list[Delivery], error: BaseException | None) -> None:
    now = timezone.now()
    with transaction.atomic():
        current = {row.pk: row for row in Delivery.objects.select_for_update().filter(
            pk__in=[row.pk for row in claimed], state=DeliveryState.DIGEST)}
        changed = []
        for row in claimed:
            mine = current.get(row.pk)
            if mine is None:
                continue
            if error is None:
                mine.state, mine.sent_at, mine.next_attempt_at, mine.last_error = DeliveryState.SENT, now, None, ""
            elif (mine.attempts, mine.next_attempt_at) != (row.attempts, row.next_attempt_at):
                continue
            else:
                _fail(mine, error, now, waiting_state=DeliveryState.DIGEST)
            changed.append(mine)
        Delivery.objects.bulk_update(changed, ["state", "sent_at", "next_attempt_at", "last_error"])


def _digest_send(recipient_id: int, channel: str, address: str, now: datetime) -> int:
    """Send the official's waiting notices on one channel in as few messages as DIGEST_LIMIT allows; the
    number of messages sent."""
    sent = 0
    for _round in range(50):  # bounded: each round claims only rows no round has claimed
        claimed = _digest_claim(recipient_id, channel, address, now)
        if not claimed:
            break
        error = _send(claimed, digest=True)
        _digest_record(claimed, error)
        if error is not None:
            break
        sent += 1
    return sent


def _digest_groups(condition: Q, limit: int | None = None) -> list[tuple[int, str, str]]:
    groups = (Delivery.objects.filter(condition).order_by()
              .values_list("notice__recipient_id", "channel", "address").distinct())
    return list(groups[:limit] if limit else groups)


def digests_send(now: datetime | None = None) -> int:
    """Every morning (Celery beat): one message per official and channel listing every notice waiting for
    the digest; the number of messages sent. Never raises."""
    now = now or timezone.now()
    sent = 0
    try:
        groups = _digest_groups(_due_digest(now))
    except Exception:
        logger.exception("daily digests: the waiting notices could not be read")
        return 0
    for recipient_id, channel, address in groups:
        try:
            sent += _digest_send(recipient_id, channel, address, now)
        except Exception:
            logger.exception("daily digest of user %s by %s failed unexpectedly", recipient_id, channel)
    return sent


# The sweep -------------------------------------------------------------------------------------------


def deliveries_sweep(*, limit: int = SWEEP_LIMIT, budget_seconds: float = SWEEP_BUDGET_SECONDS) -> int:
    """Every minute (Celery beat): send every delivery that is due (its first send lost with the broker, a
    retry after a failure, a claim that ran out) and every digest due again after a failure. Returns how
    many messages were sent. Never raises."""
    started, now, sent = time.monotonic(), timezone.now(), 0
    try:
        due = list(Delivery.objects.filter(Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True),
                                           state__in=WAITING)
                   .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
        digests = _digest_groups(Q(state=DeliveryState.DIGEST, next_attempt_at__lte=now), limit)
    except Exception:
        logger.exception("deliveries sweep: the due deliveries could not be read")
        return 0
    for delivery_id in due:
        if time.monotonic() - started > budget_seconds:
            return sent  # the next sweep goes on
        sent += delivery_send(delivery_id)
    for recipient_id, channel, address in digests:
        if time.monotonic() - started > budget_seconds:
            break
        try:
            sent += _digest_send(recipient_id, channel, address, timezone.now())
        except Exception:
            logger.exception("digest retry of user %s by %s failed unexpectedly", recipient_id, channel)
    return sent
