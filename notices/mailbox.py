"""The e-mails the embedded default wrote to files (settings.EMAIL_FILE_PATH), for administrators to read.

Without a mail server, Django's file-based backend writes each message it is given under var/mail/: this
page lists them, newest first, and shows one message's plain-text part, escaped. A message's HTML part is
never served (it came from a file, and a page of ours must not run what is in it). Only names found in the
folder are opened: nothing outside it can be reached. With any other e-mail backend the pages do not exist.
"""

import email
import email.policy
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
LIST_LIMIT = 200
FILE_LIMIT = 2 * 1024 * 1024  # bytes read of one file: a message of ours is a few kilobytes
SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # what the file-based backend writes after each message
NO_SUBJECT = _("(tanpa subjek)")
NO_TEXT = _("(pesan ini tidak memiliki bagian teks biasa)")
UNREADABLE = _("(berkas ini tidak dapat dibaca sebagai surel)")


@dataclass
class Message:
    subject: str
    to: str
    sender: str
    date: datetime | None
    text: str = ""


@dataclass
class MailFile:
    name: str
    modified: datetime
    size: int
    first: Message


def _folder() -> Path:
    if settings.EMAIL_BACKEND != FILE_BACKEND or not getattr(settings, "EMAIL_FILE_PATH", None):
        raise Http404
    return Path(settings.EMAIL_FILE_PATH)


def _require_staff(request) -> None:
    if not (request.user.is_authenticated and request.user.is_staff and request.user.has_perm("notices.view_notice")):
        raise PermissionDenied


def _names(folder: Path) -> list[os.DirEntry]:
    """The regular files directly in the folder (no links, no subfolders), newest first."""
    try:
        with os.scandir(folder) as entries:
            files = [entry for entry in entries if entry.is_file(follow_symlinks=False)]
    except FileNotFoundError:
        return []
    return sorted(files, key=lambda entry: (entry.stat().st_mtime, entry.name), reverse=True)


def _read(path: Path, limit: int) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(limit)


def _parse(raw: bytes, *, with_text: bool) -> Message:
    try:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        date_header = parsed.get("Date")
        date = getattr(date_header, "datetime", None) if date_header is not None else None
        message = Message(subject=str(parsed.get("Subject", "") or NO_SUBJECT), to=str(parsed.get("To", "")),
                          sender=str(parsed.get("From", "")), date=date)
        if with_text:
            body = parsed.get_body(preferencelist=("plain",))
            message.text = body.get_content() if body is not None else str(NO_TEXT)
        return message
    except Exception:  # a file someone else put there: shown as unreadable, never a 500
        return Message(subject=str(UNREADABLE), to="", sender="", date=None, text=str(UNREADABLE))


def _messages(raw: bytes, *, with_text: bool) -> list[Message]:
    parts = [part for part in raw.split(SEPARATOR) if part.strip()]
    return [_parse(part, with_text=with_text) for part in parts] or [_parse(raw, with_text=with_text)]


@never_cache
@require_safe
def mailbox(request):
    """The newest files of the e-mail folder, with each one's subject, recipient and date."""
    _require_staff(request)
    folder = _folder()
    entries = _names(folder)
    files = []
    for entry in entries[:LIST_LIMIT]:
        head = _read(Path(entry.path), 64 * 1024)  # the headers are at the start
        stat = entry.stat()
        files.append(MailFile(name=entry.name, modified=datetime.fromtimestamp(stat.st_mtime).astimezone(),
                              size=stat.st_size, first=_messages(head, with_text=False)[0]))
    return render(request, "notices/mailbox.html", {
        "files": files, "total": len(entries), "limit": LIST_LIMIT, "folder": str(folder)})


@never_cache
@require_safe
def mailbox_message(request, name: str):
    """One file's messages (usually one), their plain-text part escaped by the template."""
    _require_staff(request)
    folder = _folder()
    entry = next((entry for entry in _names(folder) if entry.name == name), None)
    if entry is None:  # only a name listed in the folder: no "..", no other folder, no link
        raise Http404
    messages = _messages(_read(Path(entry.path), FILE_LIMIT), with_text=True)
    return render(request, "notices/mailbox_message.html", {"name": entry.name, "messages": messages})
