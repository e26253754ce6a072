"""What each kind of document's text is made of, as draft data and as comparable sections.

For every kind: the starter text a first draft begins with, a stored version read back
as the draft data that would write it again, and the version cut into the sections
that comparison matches across versions. ``agreements.kinds`` puts them in its table.
"""

import datetime

from django.utils.translation import gettext as _

from . import starter_text
from .compare import Section
from .models import Version
from .services import (
    ArticleData,
    MasterplanDraftData,
    MouDraftData,
    QuickWinData,
    RegulationDraftData,
    RoadmapData,
)


def _numbered(articles: list[dict]) -> list[ArticleData]:
    return [ArticleData(number=n, heading=a["heading"], body=a["body"]) for n, a in enumerate(articles, 1)]


def _stored_articles(version: Version) -> list[ArticleData]:
    return [ArticleData(number=a.number, heading=a.heading, body=a.body) for a in version.articles.all()]


def _title_section(version: Version) -> Section:
    return Section("title", _("Judul"), version.title)


def _article_sections(version: Version) -> list[Section]:
    return [
        Section(f"article-{a.number}", f"Pasal {a.number} — {a.heading}", a.body) for a in version.articles.all()
    ]


# --- Nota Kesepakatan ---

def mou_starter(region, today: datetime.date) -> MouDraftData:
    return MouDraftData(
        title=starter_text.default_title(region),
        preamble=starter_text.default_preamble(region),
        articles=_numbered(starter_text.default_articles(region)),
    )


def mou_draft_of(version: Version) -> MouDraftData:
    return MouDraftData(
        title=version.title, number_ministry=version.number_ministry, number_region=version.number_region,
        preamble=version.preamble, articles=_stored_articles(version),
    )


def mou_sections(version: Version) -> list[Section]:
    return [
        _title_section(version),
        Section("numbers", _("Nomor para pihak"), f"{version.number_ministry}\n{version.number_region}"),
        Section("preamble", _("Pembukaan"), version.preamble),
        *_article_sections(version),
    ]


# --- Peraturan Kepala Daerah ---

def regulation_starter(region, today: datetime.date) -> RegulationDraftData:
    start = starter_text.default_regulation(region)
    return RegulationDraftData(
        title=start["title"], considerations=start["considerations"], legal_basis=start["legal_basis"],
        articles=_numbered(start["articles"]),
    )


def regulation_draft_of(version: Version) -> RegulationDraftData:
    return RegulationDraftData(
        title=version.title, considerations=version.considerations, legal_basis=version.legal_basis,
        articles=_stored_articles(version),
    )


def regulation_sections(version: Version) -> list[Section]:
    return [
        _title_section(version),
        Section("considerations", "Menimbang", version.considerations),
        Section("legal_basis", "Mengingat", version.legal_basis),
        *_article_sections(version),
    ]


# --- Masterplan Kota Cerdas ---

def masterplan_starter(region, today: datetime.date) -> MasterplanDraftData:
    start = starter_text.default_masterplan(region, today)
    return MasterplanDraftData(
        title=start["title"],
        chapters=start["chapters"],
        rpjmd_alignment=start["rpjmd_alignment"],
        quick_wins=[
            QuickWinData(name=w["name"], dimension=w["dimension"], responsible_agency=w["responsible_agency"],
                         target_date=today + datetime.timedelta(days=30 * w["months"]))
            for w in start["quick_wins"]
        ],
        roadmap=[RoadmapData(**r) for r in start["roadmap"]],
    )


def masterplan_draft_of(version: Version) -> MasterplanDraftData:
    return MasterplanDraftData(
        title=version.title,
        chapters={c.dimension: c.body for c in version.chapters.all()},
        rpjmd_alignment=version.rpjmd_alignment,
        quick_wins=[
            QuickWinData(name=w.name, dimension=w.dimension, responsible_agency=w.responsible_agency,
                         target_date=w.target_date)
            for w in version.quick_wins.all()
        ],
        roadmap=[RoadmapData(horizon=r.horizon, dimension=r.dimension, description=r.description)
                 for r in version.roadmap.all()],
    )


def masterplan_sections(version: Version) -> list[Section]:
    return [
        _title_section(version),
        *(Section(f"chapter-{c.dimension}", c.get_dimension_display(), c.body) for c in version.chapters.all()),
        Section("quick_wins", _("Program cepat"), "\n".join(
            f"{w.name} — {w.get_dimension_display()} — {w.responsible_agency} — {w.target_date:%d-%m-%Y}"
            for w in version.quick_wins.all()
        )),
        Section("roadmap", _("Peta jalan"), "\n".join(
            f"{r.get_horizon_display()} — {r.get_dimension_display()} — {r.description}"
            for r in version.roadmap.all()
        )),
        Section("rpjmd", _("Keselarasan dengan RPJMD"), version.rpjmd_alignment),
    ]
