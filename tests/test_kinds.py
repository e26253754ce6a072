"""One table of document kinds (agreements/kinds.py), and no "which kind is this?" anywhere else.

Every kind has one row whose parts fit: the starter text goes through the drafter's
form and the version service and comes back unchanged; the page template exists.
Then the source of our apps and templates is scanned for a kind named outside the
few modules that are tables by design.
"""

import ast
import datetime
import re
from pathlib import Path

import pytest
from django.template.loader import get_template

from agreements.kinds import KINDS, kind_spec, starting_draft, version_create
from agreements.models import Document, DocumentKind
from workflows.flows import FLOWS
from workflows.models import STAGE_ORDER, Stage

ROOT = Path(__file__).resolve().parents[1]
APPS = ["audit", "agreements", "permissions", "workflows", "auditing", "demo", "sepakat"]
KIND_VALUES = set(DocumentKind.values)
KIND_MEMBERS = {member.name for member in DocumentKind}
# The tables themselves: the kinds, the stage order, each stage's flow and its steps.
TABLES = {"agreements/kinds.py", "agreements/models.py", "workflows/models.py", "workflows/flows.py",
          "permissions/steps.py"}


def test_stage_and_document_kind_are_one_enumeration():
    assert Stage is DocumentKind
    assert set(STAGE_ORDER) == set(DocumentKind) == set(FLOWS)


def test_every_kind_has_exactly_one_row():
    assert set(KINDS) == set(DocumentKind)
    assert all(spec.kind == kind for kind, spec in KINDS.items())
    assert len({spec.identifier_prefix for spec in KINDS.values()}) == len(KINDS)


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown document kind"):
        kind_spec("letter")


def _as_post(form_class, initial: dict) -> dict:
    """What a browser sends for a form showing these starting values, unchanged."""

    def value(v):
        if v is None:
            return ""
        return v.isoformat() if isinstance(v, datetime.date) else v

    data = {key: value(v) for key, v in initial.items() if not isinstance(v, list)}
    for name in form_class.formsets:
        rows = initial[name]
        data.update({f"{name}-TOTAL_FORMS": len(rows), f"{name}-INITIAL_FORMS": 0})
        for n, row in enumerate(rows):
            data.update({f"{name}-{n}-{key}": value(v) for key, v in row.items()})
    return data


@pytest.mark.django_db
@pytest.mark.parametrize("kind", DocumentKind.values)
def test_the_starter_text_survives_the_form_and_the_version_service(kind, programme, official):
    spec = kind_spec(kind)
    prog = programme("kota-banjar")
    document = Document.objects.create(programme=prog, kind=kind)
    start = starting_draft(document, prog.region)
    assert isinstance(start, spec.draft_data)

    data = _as_post(spec.draft_form, spec.draft_form.initial_from(start))
    form = spec.draft_form(data)
    formsets = {name: fs(data, prefix=name) for name, fs in spec.draft_form.formsets.items()}
    assert form.is_valid(), form.errors
    assert all(fs.is_valid() for fs in formsets.values()), [fs.errors for fs in formsets.values()]
    submitted = form.draft_data(formsets)
    assert submitted == start

    version = version_create(document=document, author=official("kota-banjar.kominfo"), data=submitted)
    assert spec.draft_of(version) == start
    assert starting_draft(document, prog.region) == start  # the next draft starts from this version
    keys = [section.key for section in spec.sections(version)]
    assert keys[0] == "title" and len(keys) == len(set(keys)) > 2
    get_template(spec.text_template)


@pytest.mark.django_db
def test_a_version_takes_draft_data_of_its_own_kind_only(programme, official):
    prog = programme("kota-banjar")
    document = Document.objects.create(programme=prog, kind=DocumentKind.MOU)
    wrong = kind_spec(DocumentKind.REGULATION).starter(prog.region, datetime.date.today())
    with pytest.raises(TypeError, match="MouDraftData"):
        version_create(document=document, author=official("kota-banjar.kominfo"), data=wrong)


def _kind_named(node) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value in KIND_VALUES
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_kind_named(item) for item in node.elts)
    return (isinstance(node, ast.Attribute) and node.attr in KIND_MEMBERS
            and isinstance(node.value, ast.Name) and node.value.id in {"Stage", "DocumentKind"})


def _dispatches_on_kind(node) -> bool:
    """`x == "mou"`, `kind in (...)`, a table keyed by kind, or a `case "mou":`."""
    if isinstance(node, ast.Compare):
        return any(_kind_named(operand) for operand in (node.left, *node.comparators))
    if isinstance(node, ast.Dict):
        return any(key is not None and _kind_named(key) for key in node.keys)
    if isinstance(node, ast.MatchValue):
        return _kind_named(node.value)
    return False


def test_no_code_outside_the_tables_asks_which_kind_it_has():
    found = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            relative = str(path.relative_to(ROOT))
            if "migrations" in path.parts or relative in TABLES:
                continue
            found += [f"{relative}:{node.lineno}" for node in ast.walk(ast.parse(path.read_text()))
                      if _dispatches_on_kind(node)]
    kinds = "|".join(KIND_VALUES)
    pattern = re.compile(rf"""(==|!=|\bin)\s*["']({kinds})["']""")
    for path in (ROOT / "templates").rglob("*.html"):
        found += [f"{path.relative_to(ROOT)}:{n}" for n, line in enumerate(path.read_text().splitlines(), 1)
                  if pattern.search(line)]
    assert found == []
