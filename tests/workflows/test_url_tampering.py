"""Every route of the site that names an object answers 404 to another region's official.

The routes are read from the URL resolver, so a route added later is covered
without editing this test.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from agreements.models import Attachment
from permissions.delegation import delegation_create
from permissions.models import Delegation
from workflows import driver, services
from workflows.models import Stage, StageProcess

from .helpers import pdf_bytes

pytestmark = pytest.mark.django_db

OBJECT_KWARGS = {"process_pk", "task_pk", "attachment_pk", "number", "region", "year", "pk"}


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


def test_every_object_route_answers_404_to_another_region(banjar, as_user):
    regulation, attachment, delegation = banjar
    mou = StageProcess.objects.get(programme=regulation.programme, stage=Stage.MOU)
    task = driver.open_tasks(regulation).first()
    done = mou.task_set.filter(flow_task_type="HUMAN").first()
    client = as_user("kota-solok.kominfo")
    tried = 0
    for case, some_task in ((regulation, task), (mou, done)):
        values = {"process_pk": case.pk, "task_pk": some_task.pk, "attachment_pk": attachment.pk, "number": 1,
                  "region": "kota-banjar", "year": 2024, "stage": case.stage, "pk": delegation.pk}
        for route, _pattern in routes():
            # The admin has its own staff check, verification is public, and the audit app
            # refuses non-auditors outright (403); auditors' scoping is tested with the audit views.
            if route.startswith(("admin/", "verifikasi/", "audit/")):
                continue
            url = fill(route, values)
            if url is None:
                continue
            for method in ("get", "post"):
                status = getattr(client, method)(url).status_code
                assert status in (404, 405), (method, url, status)
                tried += 1
    assert tried > 60
    assert Attachment.objects.count() == 1
    assert Delegation.objects.get(pk=delegation.pk).valid_until == timezone.localdate()  # not ended by a stranger
    assert services.previous_stage_case(regulation.programme, Stage.REGULATION) == mou
