"""``{% fill "enact" "date" %}``: a blank of a final document, filled when its step signs.

In the document to sign (``draft`` false) the tag leaves an empty box with the id
``fill-<name>``; ``agreements.pdf`` makes it a read-only PDF text field, and the signing step
named in the field (``isi_<step>_<what>``) fills it in the same incremental update as its
signature (docs/adr/0008). A draft shows ``placeholder`` instead.
"""

from django import template
from django.utils.html import format_html

from agreements.pdf import FILL_FIELD_RE, FILL_ID_PREFIX

register = template.Library()

ALIGNMENTS = ("left", "center")


@register.simple_tag(takes_context=True)
def fill(context, step: str, what: str, width: str = "", align: str = "left", placeholder: str = "……",
         bold: bool = False):
    name = f"isi_{step}_{what}"
    if not FILL_FIELD_RE.fullmatch(name):
        raise template.TemplateSyntaxError(f"invalid field name: {name!r}")
    if align not in ALIGNMENTS:
        raise template.TemplateSyntaxError(f"invalid alignment: {align!r}")
    if context.get("draft", True):
        return placeholder
    style = f"width: {width}" if width else ""
    extra = ("" if width else " fill--line") + (" fill--bold" if bold or what == "name" else "")
    extra += " fill--small" if what == "as" else ""  # "a.n. <post>, <post>" is a long line
    return format_html('<span class="fill fill--{}{}" id="{}{}" style="{}"></span>', align, extra,
                       FILL_ID_PREFIX, name, style)
