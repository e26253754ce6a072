"""The ways a notice leaves Sepakat: one small interface, one module per channel.

A channel sends one message to one address about one notice or, for a daily digest, about several:
``send(address=..., notices=[...], digest=bool)``. It returns when the message was accepted by the next
hop (the SMTP server, the WhatsApp gateway) and raises otherwise:

- ``ChannelError``: this attempt failed (a server down, refused, too slow); notices.delivery tries again
  after a pause, up to its last attempt;
- ``ChannelUnavailable``: the channel cannot work here at all (no gateway configured); the delivery is
  given up at once, with the reason for administrators to read.

A channel knows nothing of the database's delivery rows: notices.delivery claims them, calls the channel
outside any transaction, and records what happened.
"""

from collections.abc import Callable

from ..models import Channel, Notice

NOTICE_CENTRE_PATH = "/pemberitahuan/"
SETTINGS_PATH = "/pemberitahuan/pengaturan/"


class ChannelError(Exception):
    """One attempt failed; another may succeed."""


class ChannelUnavailable(ChannelError):
    """The channel is not set up on this installation: trying again changes nothing."""


def absolute(path: str) -> str:
    """A path of this site as an address to click in a message (settings.SEPAKAT_BASE_URL in front)."""
    from django.conf import settings

    if not path.startswith("/") or path.startswith("//"):  # only our own pages, never another site's
        path = NOTICE_CENTRE_PATH
    return f"{settings.SEPAKAT_BASE_URL}{path}"


def link_of(notice: Notice) -> str:
    return absolute(notice.url or NOTICE_CENTRE_PATH)


Sender = Callable[..., None]


def sender_for(channel: str) -> Sender:
    from . import email, whatsapp

    senders: dict[str, Sender] = {Channel.EMAIL: email.send, Channel.WHATSAPP: whatsapp.send}
    return senders[channel]

