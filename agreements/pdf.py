"""Render the stage documents to PDF: frozen stage data in, PDF bytes out.

Three documents: the MoU (Nota Kesepakatan), the regional head regulation
(Peraturan Wali Kota / Peraturan Bupati) and the smart-city masterplan. Each
ends with the same approval sheet (templates/pdf/_approval_sheet.html).

Pure rendering, no database. Everything a user typed reaches WeasyPrint through
Django's autoescaping templates, and WeasyPrint may only read our own static files
(stylesheet and bundled fonts) through ``safe_url_fetcher``.
"""

import json
import mimetypes
from itertools import groupby
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url

MOU_TEMPLATE = "pdf/mou.html"
REGULATION_TEMPLATE = "pdf/regulation.html"
MASTERPLAN_TEMPLATE = "pdf/masterplan.html"

# Region.display_name is "<Kind> <name>"; legal headings use the bare name.
REGION_KIND_PREFIX = {"kota": "Kota ", "kabupaten": "Kabupaten "}


class UnsafeResourceError(Exception):
    """WeasyPrint asked for a resource outside our static folder."""


def static_root() -> Path:
    return (Path(settings.BASE_DIR) / "static").resolve()


def canonical_json(data: dict) -> bytes:
    return json.dumps(
        data, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode()


class SafeURLFetcher(URLFetcher):
    """Serve files under ``static/`` and refuse every other URL.

    WeasyPrint 70 expects a ``URLFetcher`` instance (it reads private attributes
    of the fetcher when a fetch fails), so this subclasses it instead of being a
    plain function. Any exception raised here makes WeasyPrint skip the resource
    with a warning.
    """

    def fetch(self, url, headers=None):
        path = self._static_path(url)
        content_type, _ = mimetypes.guess_type(path.name)
        return URLFetcherResponse(
            path.as_uri(),
            body=path.read_bytes(),
            headers={"Content-Type": content_type or "application/octet-stream"},
        )

    @staticmethod
    def _static_path(url: str) -> Path:
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise UnsafeResourceError(f"refused non-static URL: {url}")
        root = static_root()
        # resolve() collapses "../" and symlinks before the containment check.
        path = Path(url2pathname(parts.path)).resolve()
        if not path.is_relative_to(root):
            raise UnsafeResourceError(f"refused path outside static/: {url}")
        return path


safe_url_fetcher = SafeURLFetcher()


def _write_pdf(html: str) -> bytes:
    """The one WeasyPrint call: our stylesheet and fonts, nothing else."""
    # safe_url_fetcher is looked up at call time so tests can swap it.
    return HTML(
        string=html,
        base_url=path2url(static_root()),
        url_fetcher=safe_url_fetcher,
    ).write_pdf()


def region_name_part(region: dict) -> str:
    """'Kota Banjar' -> 'Banjar', 'Kabupaten Bone Bolango' -> 'Bone Bolango'."""
    name = region.get("name", "")
    prefix = REGION_KIND_PREFIX.get(region.get("kind", ""), "")
    if prefix and name.startswith(prefix) and len(name) > len(prefix):
        return name[len(prefix):]
    return name


def roman(number: int) -> str:
    numerals = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = []
    for value, numeral in numerals:
        count, number = divmod(number, value)
        out.append(numeral * count)
    return "".join(out)


def letter(number: int) -> str:
    """1 -> 'a', 26 -> 'z', 27 -> 'aa': the Menimbang item labels."""
    out = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        out = chr(ord("a") + rest) + out
    return out


def render_mou_html(data: dict, *, draft: bool) -> str:
    return render_to_string(MOU_TEMPLATE, {"doc": data, "draft": draft})


def render_mou_pdf(data: dict, *, draft: bool) -> bytes:
    return _write_pdf(render_mou_html(data, draft=draft))


def render_regulation_html(data: dict, *, draft: bool) -> str:
    context = {
        "doc": data,
        "draft": draft,
        # "Peraturan Wali Kota Banjar": the title line; the Menetapkan line uses the bare kind.
        "regulation_heading": f"{data['regulation_kind']} {region_name_part(data['region'])}",
        "considerations": [
            {"label": letter(n), "text": text} for n, text in enumerate(data.get("considerations", []), start=1)
        ],
    }
    return render_to_string(REGULATION_TEMPLATE, context)


def render_regulation_pdf(data: dict, *, draft: bool) -> bytes:
    return _write_pdf(render_regulation_html(data, draft=draft))


def _roadmap_groups(items: list[dict]) -> list[dict]:
    """Roadmap rows grouped by horizon (1, 5, 10 years), in horizon order, input order kept within."""
    ordered = sorted(items, key=lambda item: item["horizon"])
    groups = []
    for horizon, rows in groupby(ordered, key=lambda item: item["horizon"]):
        rows = list(rows)
        label = rows[0].get("horizon_label") or f"{horizon} tahun"
        groups.append({"horizon": horizon, "label": label, "items": rows})
    return groups


def render_masterplan_html(data: dict, *, draft: bool) -> str:
    context = {
        "doc": data,
        "draft": draft,
        "place": region_name_part(data["region"]),
        "chapters": [
            {**chapter, "roman": roman(n)} for n, chapter in enumerate(data.get("chapters", []), start=1)
        ],
        "roadmap_groups": _roadmap_groups(data.get("roadmap", [])),
    }
    return render_to_string(MASTERPLAN_TEMPLATE, context)


def render_masterplan_pdf(data: dict, *, draft: bool) -> bytes:
    return _write_pdf(render_masterplan_html(data, draft=draft))
