"""State changes of documents: new versions, attachments, stored PDFs."""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.actions import AuditAction
from audit.services import chain_lock, event_record
from sepakat.limits import limit

from .models import (
    Article,
    Attachment,
    Chapter,
    Dimension,
    Document,
    HarmonisationLetter,
    Promulgation,
    QuickWin,
    RoadmapItem,
    Version,
)


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


@dataclass
class RegulationDraftData:
    title: str
    considerations: str = ""
    legal_basis: str = ""
    articles: list[ArticleData] = field(default_factory=list)


@dataclass
class QuickWinData:
    name: str
    dimension: str
    responsible_agency: str
    target_date: datetime.date


@dataclass
class RoadmapData:
    horizon: int | None
    dimension: str
    description: str


@dataclass
class MasterplanDraftData:
    title: str
    chapters: dict[str, str] = field(default_factory=dict)
    quick_wins: list[QuickWinData] = field(default_factory=list)
    roadmap: list[RoadmapData] = field(default_factory=list)
    rpjmd_alignment: str = ""


def quick_win_deadline(today: datetime.date | None = None) -> datetime.date:
    """Quick wins must show results within 12 months of acceptance (from today while drafting)."""
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year + 1, day=28)


def _title_errors(title: str) -> list[str]:
    if not title.strip():
        return [_("Judul wajib diisi.")]
    if len(title) > limit("TITLE_MAX_LENGTH"):
        return [_("Judul paling banyak %(max)d karakter.") % {"max": limit("TITLE_MAX_LENGTH")}]
    return []


def _article_errors(articles: list[ArticleData]) -> list[str]:
    errors = []
    if not articles:
        errors.append(_("Dokumen harus memuat paling sedikit satu pasal."))
    if len(articles) > limit("MAX_ARTICLES"):
        errors.append(_("Paling banyak %(max)d pasal.") % {"max": limit("MAX_ARTICLES")})
    for article in articles:
        if not article.heading.strip() or not article.body.strip():
            errors.append(_("Pasal %(n)d: judul dan isi pasal wajib diisi.") % {"n": article.number})
        if len(article.heading) > limit("ARTICLE_HEADING_MAX_LENGTH"):
            errors.append(_("Pasal %(n)d: judul pasal terlalu panjang.") % {"n": article.number})
        if len(article.body) > limit("ARTICLE_BODY_MAX_LENGTH"):
            errors.append(_("Pasal %(n)d: isi pasal terlalu panjang.") % {"n": article.number})
    return errors


def _masterplan_errors(data: MasterplanDraftData) -> list[str]:
    errors = []
    for dimension in Dimension:
        if not data.chapters.get(dimension, "").strip():
            errors.append(_("Bab %(dimension)s wajib diisi.") % {"dimension": dimension.label})
    deadline = quick_win_deadline()
    for win in data.quick_wins:
        if win.target_date > deadline:
            errors.append(
                _("Program cepat “%(name)s”: target paling lambat %(date)s (12 bulan).")
                % {"name": win.name, "date": deadline.strftime("%d-%m-%Y")}
            )
    for item in data.roadmap:
        if item.horizon not in (1, 5, 10):
            errors.append(_("Setiap butir peta jalan harus memiliki horizon 1, 5, atau 10 tahun."))
    if not data.quick_wins:
        errors.append(_("Masterplan harus memuat paling sedikit satu program cepat (quick win)."))
    if not data.roadmap:
        errors.append(_("Masterplan harus memuat peta jalan."))
    return errors


def _raise(errors: list[str]) -> None:
    if errors:
        raise ValidationError(errors)


def _next_version(document: Document, author, **fields) -> Version:
    chain_lock()  # before the version rows: one lock order (audit.services.chain_lock)
    last = document.versions.select_for_update().order_by("-number").first()
    version = Version.objects.create(
        document=document, number=(last.number + 1) if last else 1, author=author, **fields
    )
    event_record(
        actor=author,
        action=AuditAction.DOCUMENT_VERSION_CREATED,
        region=document.programme.region,
        version=version,
        details={"document": document.identifier, "number": version.number},
    )
    return version


def _save_articles(version: Version, articles: list[ArticleData]) -> None:
    Article.objects.bulk_create(
        Article(version=version, number=index, heading=a.heading.strip(), body=a.body.strip())
        for index, a in enumerate(articles, start=1)
    )


@transaction.atomic
def mou_version_create(*, document: Document, author, data: MouDraftData) -> Version:
    """Store the drafter's text as the next numbered version; earlier ones stay as they were."""
    _raise(_title_errors(data.title) + _article_errors(data.articles))
    version = _next_version(
        document,
        author,
        title=data.title.strip(),
        number_ministry=data.number_ministry.strip(),
        number_region=data.number_region.strip(),
        preamble=data.preamble.strip(),
    )
    _save_articles(version, data.articles)
    return version


@transaction.atomic
def regulation_version_create(*, document: Document, author, data: RegulationDraftData) -> Version:
    errors = _title_errors(data.title) + _article_errors(data.articles)
    if not data.considerations.strip():
        errors.append(_("Bagian Menimbang wajib diisi."))
    if not data.legal_basis.strip():
        errors.append(_("Bagian Mengingat wajib diisi."))
    _raise(errors)
    version = _next_version(
        document,
        author,
        title=data.title.strip(),
        considerations=data.considerations.strip(),
        legal_basis=data.legal_basis.strip(),
    )
    _save_articles(version, data.articles)
    return version


@transaction.atomic
def masterplan_version_create(*, document: Document, author, data: MasterplanDraftData) -> Version:
    _raise(_title_errors(data.title) + _masterplan_errors(data))
    version = _next_version(document, author, title=data.title.strip(), rpjmd_alignment=data.rpjmd_alignment.strip())
    Chapter.objects.bulk_create(
        Chapter(version=version, dimension=dimension, body=data.chapters[dimension].strip()) for dimension in Dimension
    )
    QuickWin.objects.bulk_create(
        QuickWin(
            version=version,
            name=w.name.strip(),
            dimension=w.dimension,
            responsible_agency=w.responsible_agency.strip(),
            target_date=w.target_date,
        )
        for w in data.quick_wins
    )
    RoadmapItem.objects.bulk_create(
        RoadmapItem(version=version, horizon=r.horizon, dimension=r.dimension, description=r.description.strip())
        for r in data.roadmap
    )
    return version


@transaction.atomic
def attachment_add(*, version: Version, user, checked) -> Attachment:
    """Keep a checked PDF (agreements.uploads.CheckedPdf) on a version."""
    chain_lock()  # before the insert locks the version's row: one lock order (audit.services.chain_lock)
    attachment = Attachment(
        version=version, original_name=checked.name, size=checked.size, sha256=checked.sha256, uploaded_by=user
    )
    attachment.file.save(f"{checked.sha256[:16]}.pdf", ContentFile(checked.content), save=False)
    attachment.save()
    event_record(
        actor=user,
        action=AuditAction.DOCUMENT_ATTACHMENT_ADDED,
        region=version.document.programme.region,
        version=version,
        details={"name": checked.name, "sha256": checked.sha256, "size": checked.size},
    )
    return attachment


@transaction.atomic
def letter_record(
    *, version: Version, user, letter_number: str, letter_date, outcome: str, checked
) -> HarmonisationLetter:
    if not letter_number.strip():
        raise ValidationError(_("Nomor surat wajib diisi."))
    attachment = attachment_add(version=version, user=user, checked=checked)
    return HarmonisationLetter.objects.create(
        version=version,
        letter_number=letter_number.strip(),
        letter_date=letter_date,
        outcome=outcome,
        attachment=attachment,
        recorded_by=user,
    )


DUPLICATE_NUMBER = gettext_lazy("Nomor peraturan %(number)s tahun %(year)s sudah dipakai di daerah ini.")
DUPLICATE_BERITA_DAERAH = gettext_lazy("Nomor Berita Daerah %(number)s tahun %(year)s sudah dipakai di daerah ini.")


def promulgation_record(*, document: Document, user, number: int, year: int, berita_daerah_number: int) -> Promulgation:
    """Assign the regulation's numbers; a number already used in the region and year is refused."""
    region = document.programme.region
    taken = Promulgation.objects.filter(region=region, year=year)
    if taken.filter(number=number).exists():
        raise ValidationError(DUPLICATE_NUMBER % {"number": number, "year": year})
    if taken.filter(berita_daerah_number=berita_daerah_number).exists():
        raise ValidationError(DUPLICATE_BERITA_DAERAH % {"number": berita_daerah_number, "year": year})
    try:
        with transaction.atomic():
            return Promulgation.objects.create(
                document=document,
                region=region,
                year=year,
                number=number,
                berita_daerah_number=berita_daerah_number,
                promulgated_by=user,
            )
    except IntegrityError as clash:  # a concurrent promulgation took the number first
        raise ValidationError(DUPLICATE_NUMBER % {"number": number, "year": year}) from clash


def next_free_numbers(region, year: int) -> tuple[int, int]:
    """Suggested regulation and Berita Daerah numbers: one past the highest used."""
    taken = Promulgation.objects.filter(region=region, year=year)
    highest = max(taken.values_list("number", flat=True), default=0)
    highest_bd = max(taken.values_list("berita_daerah_number", flat=True), default=0)
    return highest + 1, highest_bd + 1
