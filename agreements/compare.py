"""Compare two versions of a document section by section, word by word.

Pure functions, no database. Sections are matched by a stable ``key``; the
texts are diffed at word level and rendered as escaped HTML in which the only
markup is our own ``<del class="diff-del">`` / ``<ins class="diff-ins">`` tags.
Whitespace (including line breaks) is kept verbatim, so the template can show
the result with ``white-space: pre-line``.

Speed: the texts are first aligned line by line and only the lines that differ
are diffed word by word, so long sections with a few edits stay cheap.
"""

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

SAME = "same"
CHANGED = "changed"
ADDED = "added"
REMOVED = "removed"

DEL_OPEN = '<del class="diff-del">'
DEL_CLOSE = "</del>"
INS_OPEN = '<ins class="diff-ins">'
INS_CLOSE = "</ins>"

# A word or a single punctuation character, then the whitespace that follows it
# (newlines included).
_TOKEN_RE = re.compile(r"(\w+|[^\w\s])(\s*)")


@dataclass(frozen=True)
class Section:
    key: str  # stable identity across versions, e.g. "article-3", "title"
    label: str  # shown to the user, e.g. "Pasal 3 — Ruang Lingkup"
    text: str  # plain user-typed text; always treated as text, never as HTML


@dataclass(frozen=True)
class Row:
    key: str
    old_label: str
    new_label: str
    status: str  # SAME | CHANGED | ADDED | REMOVED
    old_html: SafeString  # escaped old text, removed words wrapped in <del class="diff-del">
    new_html: SafeString  # escaped new text, inserted words wrapped in <ins class="diff-ins">


def compare_sections(old: list[Section], new: list[Section]) -> list[Row]:
    """One row per section key, in the new version's order.

    A section that only exists in the old version is placed right after the
    section that preceded it in the old version (after any other removed
    sections anchored there, in old order); removed sections that came before
    every surviving section are placed first.
    """
    old_by_key = _index(old, "old")
    new_by_key = _index(new, "new")

    # Removed sections, grouped under the key of the nearest preceding old
    # section that still exists in the new version (None: at the very top).
    removed_after: dict[str | None, list[Section]] = {}
    anchor: str | None = None
    for section in old:
        if section.key in new_by_key:
            anchor = section.key
        else:
            removed_after.setdefault(anchor, []).append(section)

    rows = [_removed_row(s) for s in removed_after.get(None, [])]
    for section in new:
        before = old_by_key.get(section.key)
        rows.append(_added_row(section) if before is None else _pair_row(before, section))
        rows.extend(_removed_row(s) for s in removed_after.get(section.key, []))
    return rows


def diff_html(old_text: str, new_text: str) -> tuple[SafeString, SafeString]:
    """Escaped (old_html, new_html) with the removed / inserted words marked."""
    if old_text == new_text:
        text = escape(old_text)
        return mark_safe(text), mark_safe(text)  # noqa: S308 - escaped just above
    old = _Tokens(old_text)
    new = _Tokens(new_text)
    old_parts = [old.lead()]
    new_parts = [new.lead()]
    for tag, i1, i2, j1, j2 in _opcodes(old, new):
        if tag == "equal":
            old_parts.append(old.plain(i1, i2))
            new_parts.append(new.plain(j1, j2))
            continue
        if i2 > i1:
            old_parts.append(old.wrapped(i1, i2, DEL_OPEN, DEL_CLOSE))
        if j2 > j1:
            new_parts.append(new.wrapped(j1, j2, INS_OPEN, INS_CLOSE))
    return mark_safe("".join(old_parts)), mark_safe("".join(new_parts))  # noqa: S308 - every token escaped


def _opcodes(old: "_Tokens", new: "_Tokens") -> list[tuple[str, int, int, int, int]]:
    """Word-level opcodes (indices into ``old.words`` / ``new.words``).

    Lines are aligned first and only the differing stretches are diffed word by
    word: far less work on long texts with a few edits, and the word matching
    cannot wander into an unrelated paragraph.
    """
    a_bounds, b_bounds = old.line_bounds(), new.line_bounds()
    a_lines = [_line_key(old.words, a_bounds[k], a_bounds[k + 1]) for k in range(len(a_bounds) - 1)]
    b_lines = [_line_key(new.words, b_bounds[k], b_bounds[k + 1]) for k in range(len(b_bounds) - 1)]
    ops: list[tuple[str, int, int, int, int]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a_lines, b_lines, autojunk=False).get_opcodes():
        a1, a2, b1, b2 = a_bounds[i1], a_bounds[i2], b_bounds[j1], b_bounds[j2]
        if tag == "equal":
            ops.append(("equal", a1, a2, b1, b2))
        else:
            ops.extend(_word_opcodes(old.words, new.words, a1, a2, b1, b2))
    return ops


def _line_key(words: list[str], start: int, end: int) -> str:
    return "\x00".join(words[start:end])  # a str, so SequenceMatcher's many lookups reuse its cached hash


def _word_opcodes(
    a: list[str], b: list[str], a1: int, a2: int, b1: int, b2: int
) -> list[tuple[str, int, int, int, int]]:
    """SequenceMatcher opcodes for ``a[a1:a2]`` against ``b[b1:b2]``, common head and tail skipped first.

    No autojunk: frequent words ("dan", "yang", commas) must keep anchoring the
    alignment.
    """
    head = 0
    while a1 + head < a2 and b1 + head < b2 and a[a1 + head] == b[b1 + head]:
        head += 1
    tail = 0
    while a2 - tail > a1 + head and b2 - tail > b1 + head and a[a2 - 1 - tail] == b[b2 - 1 - tail]:
        tail += 1
    ops = [("equal", a1, a1 + head, b1, b1 + head)] if head else []
    a_mid, b_mid = a1 + head, b1 + head
    matcher = SequenceMatcher(None, a[a_mid : a2 - tail], b[b_mid : b2 - tail], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        ops.append((tag, i1 + a_mid, i2 + a_mid, j1 + b_mid, j2 + b_mid))
    if tail:
        ops.append(("equal", a2 - tail, a2, b2 - tail, b2))
    return ops


def _index(sections: list[Section], which: str) -> dict[str, Section]:
    by_key: dict[str, Section] = {}
    for section in sections:
        if section.key in by_key:
            raise ValueError(f"duplicate section key {section.key!r} in the {which} version")
        by_key[section.key] = section
    return by_key


def _pair_row(old: Section, new: Section) -> Row:
    old_html, new_html = diff_html(old.text, new.text)
    status = SAME if old.text == new.text and old.label == new.label else CHANGED
    return Row(new.key, old.label, new.label, status, old_html, new_html)


def _added_row(section: Section) -> Row:
    return Row(section.key, "", section.label, ADDED, mark_safe(""), _whole(section.text, INS_OPEN, INS_CLOSE))


def _removed_row(section: Section) -> Row:
    return Row(section.key, section.label, "", REMOVED, _whole(section.text, DEL_OPEN, DEL_CLOSE), mark_safe(""))


def _whole(text: str, open_tag: str, close_tag: str) -> SafeString:
    tokens = _Tokens(text)
    html = tokens.lead() + (tokens.wrapped(0, len(tokens.words), open_tag, close_tag) if tokens.words else "")
    return mark_safe(html)  # noqa: S308 - every token escaped


class _Tokens:
    """A text split into words (or single punctuation characters), each followed by its whitespace.

    Only ``words`` take part in the diff; the whitespace after each word is
    kept so that every side renders its own spacing and line breaks. A run of
    consecutive tokens is a plain slice of the text, escaped in one call
    (``escape`` maps character by character, so this equals escaping each
    token) before any tag is put around it.
    """

    def __init__(self, text: str):
        self.text = text
        self.words: list[str] = []
        self.starts: list[int] = []  # where token k (word + its whitespace) begins
        self.line_starts = [0]  # token indices that begin a line
        for match in _TOKEN_RE.finditer(text):
            self.words.append(match[1])
            self.starts.append(match.start())
            if "\n" in match[2] or "\r" in match[2]:
                self.line_starts.append(len(self.words))
        self.starts.append(len(text))  # sentinel: end of the last token

    def line_bounds(self) -> list[int]:
        """Line starts plus ``len(words)``: line k is tokens ``bounds[k]`` up to ``bounds[k + 1]``."""
        if self.line_starts[-1] == len(self.words):
            return self.line_starts
        return [*self.line_starts, len(self.words)]

    def lead(self) -> str:
        """The escaped whitespace before the first word (the whole text if it has no word)."""
        return escape(self.text[: self.starts[0]])

    def plain(self, start: int, end: int) -> str:
        return escape(self.text[self.starts[start] : self.starts[end]])

    def wrapped(self, start: int, end: int, open_tag: str, close_tag: str) -> str:
        """Tokens ``start..end`` escaped, then wrapped; the whitespace after the last word stays outside."""
        words_end = self.starts[end - 1] + len(self.words[end - 1])
        inner = escape(self.text[self.starts[start] : words_end])
        return open_tag + inner + close_tag + escape(self.text[words_end : self.starts[end]])
