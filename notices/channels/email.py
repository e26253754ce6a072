"""Notices by e-mail, through Django's configured e-mail backend (settings.EMAIL_URL).

One message per notice, or one per day for an official who chose the daily digest; each with a plain-text
and an HTML part (templates/notices/email/), every user-written string escaped in the HTML, the subject
"[Sepakat] <title>", a link to the page the notice is about, and how to change one's notice settings.
The embedded default writes each message as a file under var/mail/ (administrators read them at
notices.mailbox); production sends through SMTP with settings.EMAIL_TIMEOUT.
"""

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import Notice
from . import NOTICE_CENTRE_PATH, SETTINGS_PATH, ChannelError, absolute, link_of

SUBJECT_PREFIX = "[Sepakat] "
NOT_ACCEPTED = _("Backend surel tidak menerima pesan (0 pesan terkirim).")


class EmailNotSent(ChannelError):
    pass


def _one_line(text: str) -> str:
    return " ".join(str(text).split())  # a header holds one line: no injected headers, no folding surprises


def _recipient_name(notices: Sequence[Notice]) -> str:
    user = notices[0].recipient
    official = getattr(user, "official", None)
    return getattr(official, "full_name", "") or user.get_full_name() or user.get_username()


def _item(notice: Notice) -> dict:
    return {
        "title": notice.title,
        "body": notice.body,
        "kind": notice.get_kind_display(),
        "link": link_of(notice),
        "created": formats.date_format(timezone.localtime(notice.created), "j F Y, H:i"),
    }


def subject_of(notices: Sequence[Notice], *, digest: bool) -> str:
    if digest:
        title = ngettext("Ringkasan harian: %(count)d pemberitahuan", "Ringkasan harian: %(count)d pemberitahuan",
                         len(notices)) % {
            "count": len(notices)}
    else:
        title = notices[0].title
    return SUBJECT_PREFIX + _one_line(title)


def message_for(*, address: str, notices: Sequence[Notice], digest: bool = False, key: str = "",
                connection=None) -> EmailMultiAlternatives:
    """The message, rendered in Bahasa Indonesia whatever language the request that caused it uses."""
    with translation.override("id"):
        context = {
            "name": _recipient_name(notices),
            "notices": [_item(notice) for notice in notices],
            "digest": digest,
            "centre_link": absolute(NOTICE_CENTRE_PATH),
            "settings_link": absolute(SETTINGS_PATH),
        }
        subject = subject_of(notices, digest=digest)
        text = render_to_string("notices/email/notice.txt", context)
        html = render_to_string("notices/email/notice.html", context)
    headers = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}  # RFC 3834: no replies
    if key:
        headers["X-Sepakat-Delivery"] = key
    message = EmailMultiAlternatives(subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL,
                                     to=[address], headers=headers, connection=connection)
    message.attach_alternative(html, "text/html")
    return message


def send(*, address: str, notices: Sequence[Notice], digest: bool = False, key: str = "") -> None:
    """Hand the message to the backend; any error of the backend (SMTP refused, timed out) is raised."""
    connection = get_connection(fail_silently=False)
    if not message_for(address=address, notices=notices, digest=digest, key=key, connection=connection).send():
        raise EmailNotSent(str(NOT_ACCEPTED))
