"""The emblems printed in a document's kop: one per region and one for the ministry.

An administrator uploads them in the admin. They are checked by content (a PNG that
Pillow decodes, or an SVG with nothing in it that could run or fetch), bounded in
bytes and pixels, stored in the database, and put into the document's data as a
``data:`` URL, so the PDF is rendered from what was hashed and WeasyPrint fetches
nothing (``agreements.pdf.SafeURLFetcher`` serves only such images besides static/).
"""

import base64
import hashlib
import io
import re

from defusedxml import ElementTree as ET
from defusedxml.common import DefusedXmlException
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from PIL import Image

from audit.actions import AuditAction
from audit.services import chain_lock, event_record

from .models import Logo, LogoType

MAX_LOGO_BYTES = 256 * 1024
MAX_LOGO_PIXELS = 2000  # per side
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
# Elements that run code, pull in other documents or embed raster data we have not checked.
SVG_FORBIDDEN = {"script", "foreignObject", "image", "feImage", "iframe", "object", "embed", "audio", "video"}
EXTERNAL_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)", re.IGNORECASE)

LOGO_TOO_LARGE = _("Logo paling besar %(limit)s KB.")
LOGO_NOT_AN_IMAGE = _("Logo harus berupa berkas PNG atau SVG.")
LOGO_TOO_MANY_PIXELS = _("Logo paling besar %(limit)s × %(limit)s piksel.")
LOGO_ACTIVE_SVG = _("Logo SVG tidak boleh memuat skrip, gambar lain, atau tautan ke luar berkas (%(what)s).")


def checked_logo(content: bytes) -> LogoType:
    """The logo's type, or a ValidationError saying in Indonesian what is wrong with it."""
    if len(content) > MAX_LOGO_BYTES:
        raise ValidationError(LOGO_TOO_LARGE % {"limit": MAX_LOGO_BYTES // 1024})
    if content.startswith(PNG_SIGNATURE):
        _check_png(content)
        return LogoType.PNG
    head = content[:1024].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--")):
        _check_svg(content)
        return LogoType.SVG
    raise ValidationError(LOGO_NOT_AN_IMAGE)


def _check_png(content: bytes) -> None:
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.format != "PNG":
                raise ValidationError(LOGO_NOT_AN_IMAGE)
            if max(image.size) > MAX_LOGO_PIXELS:
                raise ValidationError(LOGO_TOO_MANY_PIXELS % {"limit": MAX_LOGO_PIXELS})
            image.verify()  # every chunk's CRC, through to IEND: a truncated or altered file fails here
        with Image.open(io.BytesIO(content)) as image:
            image.load()  # and every pixel decodes
    except ValidationError:
        raise
    except Exception as error:  # Pillow raises many kinds for a broken file
        raise ValidationError(LOGO_NOT_AN_IMAGE) from error


def _check_svg(content: bytes) -> None:
    try:
        root = ET.fromstring(content, forbid_dtd=True)
    except DefusedXmlException as error:
        raise ValidationError(LOGO_ACTIVE_SVG % {"what": "DOCTYPE/ENTITY"}) from error
    except ET.ParseError as error:
        raise ValidationError(LOGO_NOT_AN_IMAGE) from error
    if root.tag != f"{SVG_NAMESPACE}svg":
        raise ValidationError(LOGO_NOT_AN_IMAGE)
    for element in root.iter():
        name = element.tag.rpartition("}")[2]
        if name in SVG_FORBIDDEN:
            raise ValidationError(LOGO_ACTIVE_SVG % {"what": f"<{name}>"})
        text = element.text or ""
        if name == "style" and (EXTERNAL_URL.search(text) or "@import" in text):
            raise ValidationError(LOGO_ACTIVE_SVG % {"what": "<style>"})
        for attribute, value in element.attrib.items():
            local = attribute.rpartition("}")[2]
            if local.lower().startswith("on"):
                raise ValidationError(LOGO_ACTIVE_SVG % {"what": local})
            if (attribute == XLINK_HREF or local == "href") and not value.startswith("#"):
                raise ValidationError(LOGO_ACTIVE_SVG % {"what": local})
            if EXTERNAL_URL.search(value):
                raise ValidationError(LOGO_ACTIVE_SVG % {"what": local})


@transaction.atomic
def logo_set(*, region, content: bytes, actor) -> Logo:
    """Store (or replace) the region's logo; region None is the ministry's."""
    kind = checked_logo(content)
    chain_lock()  # before the logo's row: one lock order (audit.services.chain_lock)
    logo = Logo.objects.select_for_update().filter(region=region).first() or Logo(region=region)
    old = logo.sha256 or None
    logo.content_type = kind
    logo.image = content
    logo.sha256 = hashlib.sha256(content).hexdigest()
    logo.save()
    event_record(actor=actor, action=AuditAction.LOGO_CHANGED, region=region,
                 details={"owner": logo.owner_label, "old_sha256": old, "new_sha256": logo.sha256,
                          "type": kind, "bytes": len(content)})
    return logo


@transaction.atomic
def logo_remove(*, logo: Logo, actor) -> None:
    event_record(actor=actor, action=AuditAction.LOGO_REMOVED, region=logo.region,
                 details={"owner": logo.owner_label, "old_sha256": logo.sha256})
    logo.delete()


def logo_data_url(region) -> str:
    """The logo as a data: URL for the document's data, or "" for a neutral heading."""
    logo = Logo.objects.filter(region=region).only("content_type", "image").first()
    if logo is None:
        return ""
    return f"data:{logo.content_type};base64,{base64.b64encode(bytes(logo.image)).decode()}"
