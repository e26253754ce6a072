"""The permission matrix: every seeded official against every case, task and document.

The world has every region at a different step of a different stage. What each
official may do is derived from the role mapping (permissions/roles.py) and the
seeded assignments, never written by hand; the site must allow exactly that.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse

from agreements.models import Programme
from demo import driver
from permissions.models import RoleAssignment
from workflows.models import Stage, StageProcess

pytestmark = pytest.mark.django_db

# region -> (stage, step) it is stopped before; None: the whole programme is done.
WORLD = {
    "kab-bangli": (Stage.MOU, "draft"),
    "kab-bone-bolango": (Stage.MOU, "review_legal"),
    "kab-gianyar": (Stage.MOU, "paraf_sekda"),
    "kab-pekalongan": (Stage.MOU, "sign_ministry"),
    "kab-purbalingga": (Stage.REGULATION, "review_bappeda"),
    "kab-serang": (Stage.REGULATION, "harmonise"),
    "kab-tanah-bumbu": (Stage.REGULATION, "paraf_hukum"),
    "kota-banjar": (Stage.MASTERPLAN, "council"),
    "kota-parepare": (Stage.MASTERPLAN, "accept"),
    "kota-solok": None,
}


def build_world():
    for slug, stop in WORLD.items():
        programme = Programme.objects.get(region__slug=slug)
        if stop is None:
            driver.run_programme(programme)
        else:
            driver.run_programme(programme, stop_stage=stop[0], stop_step=stop[1])


def expected_regions(user, regions):
    """Regions whose cases the user may see: from the assignments, central ones span all."""
    assignments = list(RoleAssignment.objects.active().filter(user=user).select_related("agency"))
    if any(a.agency.region_id is None for a in assignments):
        return set(regions)
    return {a.agency.region_id for a in assignments}


def expected_claim(user, task, region_id) -> bool:
    role = task.flow_task.step_role
    assignments = RoleAssignment.objects.active().filter(user=user, role=role.role_kind, agency__kind=role.agency_kind)
    if role.is_central:
        return assignments.filter(agency__region__isnull=True).exists()
    return assignments.filter(agency__region_id=region_id).exists()


def test_every_official_gets_exactly_the_access_the_role_table_allows(client):
    build_world()
    cases = list(StageProcess.objects.select_related("programme__region", "final_pdf"))
    stages_reached = {(c.programme.region.slug, c.stage) for c in cases}
    assert len({slug for slug, _ in stages_reached}) == 10
    regions = {c.programme.region_id for c in cases}
    open_tasks = [(t, c) for c in cases for t in driver.open_tasks(c)]
    assert len({t.flow_task.name for t, _ in open_tasks}) >= 8  # many different steps are waiting

    checked = 0
    for user in get_user_model().objects.filter(official__isnull=False).order_by("username"):
        client.force_login(user)
        visible = expected_regions(user, regions)
        for case in cases:
            may_see = case.programme.region_id in visible
            response = client.get(reverse("sepakat:case_detail", args=[case.pk]))
            assert response.status_code == (200 if may_see else 404), (user.username, case)
            if case.final_pdf:
                pdf = client.get(reverse("sepakat:final_pdf", args=[case.pk]))
                assert pdf.status_code == (200 if may_see else 404), (user.username, case, "download")
            checked += 1
        for task, case in open_tasks:
            url = task.flow_task.reverse("assign", args=[case.pk, task.pk])
            with transaction.atomic():
                response = client.post(url)
                transaction.set_rollback(True)  # every official tries the same untouched task
            if case.programme.region_id not in visible:
                assert response.status_code == 404, (user.username, task)
            elif expected_claim(user, task, case.programme.region_id):
                assert response.status_code == 302, (user.username, task)
            else:
                assert response.status_code == 403, (user.username, task)
            execute = task.flow_task.reverse("execute", args=[case.pk, task.pk])
            status = client.get(execute).status_code
            # nobody has claimed these tasks: executing needs a claim first, for everyone
            assert status in ((403,) if case.programme.region_id in visible else (404,)), (user.username, task)
            checked += 1
    assert checked > 1000
