"""State changes of documents: new versions and stored PDFs."""

import hashlib
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import event_record

from . import pdf
from .models import MouArticle, MouDocument, MouVersion, StoredPdf
from .snapshots import mou_snapshot


@dataclass
class ArticleData:
    number: int
    heading: str
    body: str


@dataclass
class MouDraftData:
    title: str
    number_ministry: str = ""
    number_region: str = ""
    preamble: str = ""
    articles: list[ArticleData] = field(default_factory=list)


def _validate_draft(data: MouDraftData) -> None:
    limits = settings.SEPAKAT
    errors = []
    if not data.title.strip():
        errors.append(_("Judul wajib diisi."))
    elif len(data.title) > limits["TITLE_MAX_LENGTH"]:
        errors.append(_("Judul paling banyak %(max)d karakter.") % {"max": limits["TITLE_MAX_LENGTH"]})
    if not data.articles:
        errors.append(_("Nota kesepakatan harus memuat paling sedikit satu pasal."))
    if len(data.articles) > limits["MAX_ARTICLES"]:
        errors.append(_("Paling banyak %(max)d pasal.") % {"max": limits["MAX_ARTICLES"]})
    for article in data.articles:
        if not article.heading.strip() or not article.body.strip():
            errors.append(_("Pasal %(n)d: judul dan isi pasal wajib diisi.") % {"n": article.number})
        if len(article.heading) > limits["ARTICLE_HEADING_MAX_LENGTH"]:
            errors.append(_("Pasal %(n)d: judul pasal terlalu panjang.") % {"n": article.number})
        if len(article.body) > limits["ARTICLE_BODY_MAX_LENGTH"]:
            errors.append(_("Pasal %(n)d: isi pasal terlalu panjang.") % {"n": article.number})
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def mou_version_create(*, document: MouDocument, author, data: MouDraftData) -> MouVersion:
    """Store the drafter's text as the next numbered version; earlier ones stay as they were."""
    _validate_draft(data)
    last = document.versions.select_for_update().order_by("-number").first()
    version = MouVersion.objects.create(
        document=document,
        number=(last.number + 1) if last else 1,
        title=data.title.strip(),
        number_ministry=data.number_ministry.strip(),
        number_region=data.number_region.strip(),
        preamble=data.preamble.strip(),
        author=author,
    )
    MouArticle.objects.bulk_create(
        MouArticle(version=version, number=index, heading=a.heading.strip(), body=a.body.strip())
        for index, a in enumerate(data.articles, start=1)
    )
    event_record(
        actor=author,
        action="document.version_created",
        region=document.programme.region,
        version=version,
        details={"document": document.identifier, "number": version.number},
    )
    return version


@transaction.atomic
def mou_final_pdf_store(*, version: MouVersion) -> StoredPdf:
    """Render the final MoU with its approval sheet and keep it write-once."""
    data = mou_snapshot(version, status_label="Ditandatangani")
    content = pdf.render_mou_pdf(data, draft=False)
    digest = hashlib.sha256(content).hexdigest()
    stored = StoredPdf(
        document=version.document,
        version=version,
        sha256=digest,
        data_sha256=hashlib.sha256(pdf.canonical_json(data)).hexdigest(),
        size=len(content),
        is_final=True,
    )
    stored.file.save(f"{version.document.identifier}-final-{digest[:12]}.pdf", ContentFile(content), save=False)
    stored.save()
    event_record(
        actor=None,
        action="document.pdf_rendered",
        region=version.document.programme.region,
        version=version,
        details={"sha256": digest, "size": len(content), "final": True},
    )
    return stored
