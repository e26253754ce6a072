"""Every route of the site that names an object answers 404 to another region's official and auditor.

The routes are read from the URL resolver, so a route added later is covered
without editing this test. The audit app answers 403 to anyone who is not an
auditor, and 404 to an auditor of another region.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from agreements.models import Attachment, Decision
from demo import driver
from permissions.delegation import delegation_create
from permissions.models import Delegation
from workflows import selectors
from workflows.models import Stage, StageProcess

from .helpers import pdf_bytes

# Every route walked as officials of another region: run by .ci/run (pytest -m slow), not by make test.
pytestmark = [pytest.mark.django_db, pytest.mark.slow]

OBJECT_KWARGS = {"process_pk", "task_pk", "attachment_pk", "number", "region", "year", "pk", "programme_pk", "username",
                 "sha256", "stage"}
NOT_OBJECTS = {"table", "name"}  # the analytics CSV's table name (rows scoped by region); a mailbox file (staff only)
AUDIT_PREFIX = "audit/"


def routes(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def fill(route: str, values: dict) -> str | None:
    """'sepakat/kasus/<int:process_pk>/' -> '/sepakat/kasus/12/' (None if a parameter is unknown)."""
    import re

    names = re.findall(r"<(?:\w+:)?(\w+)>", route)
    if not names or not set(names) <= set(values):
        return None
    url = route
    for name in names:
        url = re.sub(rf"<(?:\w+:)?{name}>", str(values[name]), url)
    return "/" + url.lstrip("^").rstrip("$")


@pytest.fixture
def banjar(programme, official):
    """Kota Banjar's MoU done and its regulation under way, with an attachment and a delegation."""
    driver.run_programme(programme("kota-banjar"), stop_stage=Stage.REGULATION, stop_step="review_mentor")
    regulation = StageProcess.objects.get(programme=programme("kota-banjar"), stage=Stage.REGULATION)
    from agreements.services import attachment_add
    from agreements.uploads import CheckedPdf

    content = pdf_bytes()
    attachment = attachment_add(version=regulation.document.latest_version(), user=official("kota-banjar.kominfo"),
                                checked=CheckedPdf(name="a.pdf", size=len(content), sha256="0" * 64, content=content))
    mayor = official("kota-banjar.kdh")
    delegation = delegation_create(
        actor=mayor, assignment=mayor.role_assignments.get(role="penandatangan"),
        delegate=official("kota-banjar.sekda"), kind="an", valid_from=timezone.localdate(),
        valid_until=timezone.localdate(),
    )
    return regulation, attachment, delegation


def walk(client, banjar, *, audit_status=(404, 405)):
    """Request every object route with Kota Banjar's objects; return how many requests were made."""
    regulation, attachment, delegation = banjar
    mou = StageProcess.objects.get(programme=regulation.programme, stage=Stage.MOU)
    task = driver.open_tasks(regulation).first()
    done = mou.task_set.filter(flow_task_type="HUMAN").first()
    read = Decision.objects.filter(process=mou).exclude(document_sha256="").first().document_sha256  # a paraf's file
    tried = 0
    for case, some_task in ((regulation, task), (mou, done)):
        values = {"process_pk": case.pk, "task_pk": some_task.pk, "attachment_pk": attachment.pk, "number": 1,
                  "region": "kota-banjar", "year": 2024, "stage": case.stage, "pk": delegation.pk,
                  "programme_pk": case.programme.pk, "username": "kota-banjar.kominfo", "sha256": read}
        assert set(values) == OBJECT_KWARGS
        for route, _pattern in routes():
            if route.startswith(("admin/", "verifikasi/")):  # the admin has its own staff check; verification is public
                continue
            url = fill(route, values)
            if url is None:
                continue
            expected = audit_status if route.startswith(AUDIT_PREFIX) else (404, 405)
            for method in ("get", "post"):
                status = getattr(client, method)(url).status_code
                assert status in expected, (method, url, status)
                tried += 1
    return tried


def test_the_walk_fills_every_parameter_of_every_route():
    """A route whose parameter the walk cannot fill would be skipped, not checked."""
    import re

    names = set()
    for route, _pattern in routes():
        if not route.startswith(("admin/", "verifikasi/", "pki/")):  # public: no object of anyone's
            names |= set(re.findall(r"<(?:\w+:)?(\w+)>", route))
    assert names - NOT_OBJECTS == OBJECT_KWARGS


def test_every_object_route_answers_404_to_another_region(banjar, as_user):
    regulation, attachment, delegation = banjar
    # Not an auditor: the audit app is closed to them (403) before any object is looked up.
    tried = walk(as_user("kota-solok.kominfo"), banjar, audit_status=(403,))
    assert tried > 60
    assert Attachment.objects.count() == 1
    assert Delegation.objects.get(pk=delegation.pk).valid_until == delegation.valid_until  # not ended by a stranger
    mou = StageProcess.objects.get(programme=regulation.programme, stage=Stage.MOU)
    assert selectors.previous_stage_case(regulation.programme, Stage.REGULATION) == mou


def test_every_object_route_answers_404_to_another_regions_auditor(banjar, as_user):
    regulation, attachment, delegation = banjar
    audit_routes = [route for route, _pattern in routes() if route.startswith(AUDIT_PREFIX)]
    assert len([r for r in audit_routes if "<" in r]) >= 5  # programme, case, region, official, bundle
    tried = walk(as_user("kota-solok.auditor"), banjar)
    assert tried > 60
    assert Attachment.objects.count() == 1
    assert Delegation.objects.get(pk=delegation.pk).valid_until == delegation.valid_until
