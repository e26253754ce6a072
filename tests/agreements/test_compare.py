"""Version comparison: statuses, word highlights, escaping, line breaks, ordering, the partial."""

import re
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from agreements.compare import ADDED, CHANGED, REMOVED, SAME, Row, Section, compare_sections, diff_html

DELS = re.compile(r'<del class="diff-del">(.*?)</del>', re.DOTALL)
INSS = re.compile(r'<ins class="diff-ins">(.*?)</ins>', re.DOTALL)
TAGS = re.compile(r'</?(?:del|ins)(?: class="diff-(?:del|ins)")?>')


def s(key, text, label=None):
    return Section(key=key, label=label or key.title(), text=text)


def one(old_text, new_text):
    [row] = compare_sections([s("a", old_text)], [s("a", new_text)])
    return row


def plain(html):
    """The html with our tags removed and entities decoded: the text the reader sees."""
    text = TAGS.sub("", html)
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
    )


def test_same_text_and_label_is_same():
    row = one("Pasal ini berlaku.", "Pasal ini berlaku.")
    assert row.status == SAME
    assert row.old_html == row.new_html == "Pasal ini berlaku."
    assert isinstance(row.old_html, SafeString) and isinstance(row.new_html, SafeString)


def test_changed_text():
    row = one("Berlaku selama 5 tahun.", "Berlaku selama 3 tahun.")
    assert row.status == CHANGED
    assert row.old_html == 'Berlaku selama <del class="diff-del">5</del> tahun.'
    assert row.new_html == 'Berlaku selama <ins class="diff-ins">3</ins> tahun.'


def test_label_change_with_same_text_is_changed():
    [row] = compare_sections(
        [s("article-3", "Teks.", "Pasal 3 — Lingkup")], [s("article-3", "Teks.", "Pasal 3 — Ruang Lingkup")]
    )
    assert row.status == CHANGED
    assert (row.old_label, row.new_label) == ("Pasal 3 — Lingkup", "Pasal 3 — Ruang Lingkup")
    assert row.old_html == row.new_html == "Teks."


def test_added_and_removed_sections():
    rows = compare_sections(
        [s("title", "Judul"), s("article-1", "Lama sekali.")], [s("title", "Judul"), s("article-2", "Baru.")]
    )
    by_key = {row.key: row for row in rows}
    added, removed = by_key["article-2"], by_key["article-1"]
    assert added.status == ADDED
    assert (added.old_label, added.new_label) == ("", "Article-2")
    assert added.old_html == "" and added.new_html == '<ins class="diff-ins">Baru.</ins>'
    assert removed.status == REMOVED
    assert (removed.old_label, removed.new_label) == ("Article-1", "")
    assert removed.old_html == '<del class="diff-del">Lama sekali.</del>' and removed.new_html == ""
    assert by_key["title"].status == SAME


def test_highlights_contain_exactly_the_changed_words():
    old = "PIHAK KESATU menyediakan tenaga ahli pendamping dan bimbingan teknis."
    new = "PIHAK KESATU menyediakan dua tenaga ahli dan pelatihan teknis bersama."
    row = one(old, new)
    assert DELS.findall(row.old_html) == ["pendamping", "bimbingan"]
    assert INSS.findall(row.new_html) == ["dua", "pelatihan", "bersama"]
    assert plain(row.old_html) == old
    assert plain(row.new_html) == new


def test_adjacent_changed_words_share_one_highlight_without_edge_spaces():
    row = one("a b c d", "a x y d")
    assert DELS.findall(row.old_html) == ["b c"]
    assert INSS.findall(row.new_html) == ["x y"]
    assert row.new_html == 'a <ins class="diff-ins">x y</ins> d'


def test_punctuation_change_does_not_mark_the_word():
    row = one("dibebankan pada anggaran.", "dibebankan pada anggaran;")
    assert DELS.findall(row.old_html) == ["."]
    assert INSS.findall(row.new_html) == [";"]


SCRIPT = "<script>alert(1)</script>"


@pytest.mark.parametrize(
    ("old_text", "new_text"),
    [
        (f"Tetap {SCRIPT} tetap.", f"Tetap {SCRIPT} tetap."),  # unchanged
        (f"Tetap {SCRIPT} lama.", f"Tetap {SCRIPT} baru."),  # around a change
        ("Teks biasa.", f"Teks {SCRIPT} biasa."),  # it is the inserted part
        (f"Teks {SCRIPT} biasa.", "Teks biasa."),  # it is the removed part
        ('Kutip "a" & b', "Kutip 'a' & <b>"),
    ],
)
def test_typed_html_is_escaped(old_text, new_text):
    row = one(old_text, new_text)
    for html, text in ((row.old_html, old_text), (row.new_html, new_text)):
        assert "<script" not in html
        assert "<b>" not in html
        # the only markup is ours; everything else came out as entities
        assert "<" not in TAGS.sub("", html)
        assert plain(html) == text


def test_script_as_the_changed_part_is_escaped_inside_the_highlight():
    row = one("Teks biasa.", f"Teks {SCRIPT} biasa.")
    assert INSS.findall(row.new_html) == ["&lt;script&gt;alert(1)&lt;/script&gt;"]
    [added] = compare_sections([], [s("x", SCRIPT)])
    assert added.new_html == '<ins class="diff-ins">&lt;script&gt;alert(1)&lt;/script&gt;</ins>'
    [removed] = compare_sections([s("x", SCRIPT)], [])
    assert "<script" not in removed.old_html


def test_labels_stay_plain_text_for_the_template_to_escape():
    rows = compare_sections([s("a", "x", SCRIPT)], [s("a", "y", SCRIPT + "!")])
    html = render_to_string(
        "workflows/_compare_rows.html",
        {"rows": rows, "old_version": SimpleNamespace(number=1), "new_version": SimpleNamespace(number=2)},
    )
    assert "<script" not in html
    assert "&lt;script&gt;" in html


def test_newlines_are_preserved():
    old = "Ruang lingkup meliputi:\na. regulasi;\nb. masterplan.\n\nPenutup."
    new = "Ruang lingkup meliputi:\na. regulasi daerah;\nb. masterplan;\nc. evaluasi.\n\nPenutup."
    row = one(old, new)
    assert plain(row.old_html) == old
    assert plain(row.new_html) == new
    assert row.new_html.count("\n") == new.count("\n")
    assert INSS.findall(row.new_html) == ["daerah", ";\nc. evaluasi"]
    assert DELS.findall(row.old_html) == []  # the old final "." lines up with the new one


def test_whitespace_only_change_is_changed_without_highlight():
    row = one("satu dua", "satu\ndua")
    assert row.status == CHANGED
    assert row.old_html == "satu dua"
    assert row.new_html == "satu\ndua"


def test_leading_and_trailing_whitespace_kept():
    row = one("  awal\n", "  awal baru\n")
    assert row.new_html == '  awal <ins class="diff-ins">baru</ins>\n'
    assert row.old_html == "  awal\n"


def test_empty_texts():
    assert diff_html("", "") == ("", "")
    assert diff_html("", "baru") == ("", '<ins class="diff-ins">baru</ins>')
    assert diff_html("lama", "") == ('<del class="diff-del">lama</del>', "")
    [added] = compare_sections([], [s("x", "")])
    assert (added.status, added.new_html) == (ADDED, "")


def test_order_follows_new_version_with_removed_after_their_old_predecessor():
    old = [s("title", "t"), s("a1", "1"), s("a2", "2"), s("a3", "3"), s("a4", "4"), s("a5", "5")]
    new = [s("title", "t"), s("a3", "3"), s("new", "n"), s("a1", "1"), s("a5", "5")]
    rows = compare_sections(old, new)
    assert [(row.key, row.status) for row in rows] == [
        ("title", SAME),
        ("a3", SAME),
        ("a4", REMOVED),  # followed a3 in the old version
        ("new", ADDED),
        ("a1", SAME),
        ("a2", REMOVED),  # followed a1 in the old version
        ("a5", SAME),
    ]


def test_removed_before_every_surviving_section_come_first_in_old_order():
    old = [s("x", "x"), s("y", "y"), s("a", "a"), s("z", "z")]
    new = [s("b", "b"), s("a", "a")]
    assert [row.key for row in compare_sections(old, new)] == ["x", "y", "b", "a", "z"]


def test_everything_removed_or_added():
    assert [row.status for row in compare_sections([s("a", "1"), s("b", "2")], [])] == [REMOVED, REMOVED]
    assert [row.status for row in compare_sections([], [s("a", "1")])] == [ADDED]
    assert compare_sections([], []) == []


def test_duplicate_keys_are_refused():
    with pytest.raises(ValueError, match="duplicate section key 'a'"):
        compare_sections([s("a", "1"), s("a", "2")], [])


def test_rows_are_frozen():
    row = one("a", "b")
    assert isinstance(row, Row)
    with pytest.raises(AttributeError):
        row.status = SAME


def test_partial_renders_columns_labels_badges_and_highlights():
    old = [
        s("title", "Nota", "Judul"),
        s("article-1", "Berlaku 5 tahun.", "Pasal 1 — Waktu"),
        s("article-2", "Hapus.", "Pasal 2"),
    ]
    new = [
        s("title", "Nota", "Judul"),
        s("article-1", "Berlaku 3 tahun.", "Pasal 1 — Jangka Waktu"),
        s("a3", "Baru.", "Pasal 3"),
    ]
    html = render_to_string(
        "workflows/_compare_rows.html",
        {
            "rows": compare_sections(old, new),
            "old_version": SimpleNamespace(number=2),
            "new_version": SimpleNamespace(number=3),
        },
    )
    assert "Versi 2" in html and "Versi 3" in html
    for badge in ("Sama", "Diubah", "Ditambahkan", "Dihapus"):
        assert badge in html
    assert "Pasal 1 — Waktu" in html and "Pasal 1 — Jangka Waktu" in html  # both labels when they differ
    assert html.count("Judul") == 1  # an unchanged label is shown once
    assert '<del class="diff-del">5</del>' in html
    assert '<ins class="diff-ins">3</ins>' in html
    assert 'class="sp-table sp-compare"' in html
