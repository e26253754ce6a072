"""The permission matrix: the seeded officials against every case, task and document.

The world has every region at a different step of a different stage. What each
official may do is derived from the role mapping (permissions/roles.py) and the
seeded assignments, never written by hand; the site must allow exactly that.

The world is built once for the module (tests/conftest.py: world_kept_for_the_module);
pytest.ini's --dist loadscope gives a module's tests to one xdist worker, so it is built once per run.

What is requested of whom:
- one official of each class (a seat of demo/world.py: the same agency kinds and roles,
  regional or central) tries every case, final PDF and open task of every region; the
  officials of one class differ only by their region, and for a case outside an official's
  region the oracle does not depend on which region that is (404), so one of them answers for
  the class. The representatives of the regional classes come from different regions.
- every official tries every case and open task of their own region (where the answer
  depends on the step each region is at), and every official's visible regions are checked
  against the assignments; central officials are all representatives, so try everything.
test_every_official_belongs_to_a_class_with_a_representative keeps that reasoning true.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse

from agreements.models import Programme, Region
from demo import driver
from demo.world import CENTRAL_SEATS, REGIONS, regional_seats
from permissions.models import RoleAssignment
from permissions.selectors import regions_visible_to
from workflows.models import Stage, StageProcess

from ..conftest import world_kept_for_the_module

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

# One representative per class of official: the central seats, and each regional seat taken
# from a different region (the seat's username suffix is the same in every region).
REGIONAL_SUFFIXES = [seat.suffix for seat in regional_seats(Region(kind=REGIONS[0][0], name=REGIONS[0][1]))]
REPRESENTATIVES = [seat.suffix for seat in CENTRAL_SEATS] + [
    f"{REGIONS[index % len(REGIONS)][2]}.{suffix}" for index, suffix in enumerate(REGIONAL_SUFFIXES)
]


def build_world():
    for slug, stop in WORLD.items():
        programme = Programme.objects.get(region__slug=slug)
        if stop is None:
            driver.run_programme(programme)
        else:
            driver.run_programme(programme, stop_stage=stop[0], stop_step=stop[1])


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with world_kept_for_the_module(django_db_blocker, build_world):
        yield


@pytest.fixture
def cases(world):
    return list(StageProcess.objects.select_related("programme__region", "final_pdf").order_by("pk"))


@pytest.fixture
def open_tasks(cases):
    return [(t, c) for c in cases for t in driver.open_tasks(c)]


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


def official_class(user) -> tuple[bool, frozenset]:
    """What the oracle knows of an official besides their region: central or not, and which roles in which agencies."""
    assignments = list(RoleAssignment.objects.active().filter(user=user).select_related("agency"))
    return (any(a.agency.region_id is None for a in assignments),
            frozenset((a.agency.kind, a.role, a.is_head) for a in assignments))


def officials():
    return get_user_model().objects.filter(official__isnull=False).order_by("username")


def check_access(client, user, cases, open_tasks, regions) -> int:
    """Every given case's detail page and final PDF, then claiming and executing every given task."""
    client.force_login(user)
    visible = expected_regions(user, regions)
    checked = 0
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
    return checked


@pytest.mark.slow  # drives every region of the world to its step
def test_the_world_has_every_region_at_a_different_step(cases, open_tasks):
    stages_reached = {(c.programme.region.slug, c.stage) for c in cases}
    assert len({slug for slug, _ in stages_reached}) == 10
    assert len({t.flow_task.name for t, _ in open_tasks}) >= 8  # many different steps are waiting
    assert sum(1 for c in cases if c.final_pdf) >= 5  # and many finished documents to download


def test_every_official_belongs_to_a_class_with_a_representative(world):
    users = list(officials())
    representatives = {u.username: u for u in users if u.username in REPRESENTATIVES}
    assert sorted(representatives) == sorted(REPRESENTATIVES)  # every representative is seeded
    by_class = {}
    for username, user in representatives.items():
        by_class.setdefault(official_class(user), []).append(username)
    assert all(len(names) == 1 for names in by_class.values()), by_class  # one per class, no class twice
    for user in users:
        assert official_class(user) in by_class, user.username
    assert len(users) == len(CENTRAL_SEATS) + len(REGIONS) * len(REGIONAL_SUFFIXES)


@pytest.mark.parametrize("username", REPRESENTATIVES)
def test_each_class_of_official_gets_exactly_the_access_the_role_table_allows_everywhere(
        client, official, cases, open_tasks, username):
    regions = {c.programme.region_id for c in cases}
    checked = check_access(client, official(username), cases, open_tasks, regions)
    assert checked == len(cases) + len(open_tasks)
    assert checked >= 25


@pytest.mark.parametrize("slug", list(WORLD))
def test_every_official_gets_exactly_the_access_the_role_table_allows_in_their_region(
        client, cases, open_tasks, slug):
    regions = {c.programme.region_id for c in cases}
    own_cases = [c for c in cases if c.programme.region.slug == slug]
    own_tasks = [(t, c) for t, c in open_tasks if c.programme.region.slug == slug]
    assert own_cases
    users = list(officials().filter(username__startswith=f"{slug}."))
    assert len(users) == len(REGIONAL_SUFFIXES)
    for user in users:
        assert set(regions_visible_to(user).values_list("pk", flat=True)) == expected_regions(user, regions)
        checked = check_access(client, user, own_cases, own_tasks, regions)
        assert checked == len(own_cases) + len(own_tasks)
