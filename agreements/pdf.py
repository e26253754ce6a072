"""Render the MoU (Nota Kesepakatan) to PDF: frozen stage data in, PDF bytes out.

Pure rendering, no database. Everything a user typed reaches WeasyPrint through
Django's autoescaping templates, and WeasyPrint may only read our own static files
(stylesheet and bundled fonts) through ``safe_url_fetcher``.
"""

import json
import mimetypes
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.conf import settings
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url

MOU_TEMPLATE = "pdf/mou.html"


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


def render_mou_html(data: dict, *, draft: bool) -> str:
    return render_to_string(MOU_TEMPLATE, {"doc": data, "draft": draft})


def render_mou_pdf(data: dict, *, draft: bool) -> bytes:
    html = HTML(
        string=render_mou_html(data, draft=draft),
        base_url=path2url(static_root()),
        url_fetcher=safe_url_fetcher,
    )
    return html.write_pdf()
