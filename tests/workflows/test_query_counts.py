"""List pages do not grow by a query per row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.models import Programme
from demo import driver
from workflows.models import Stage, StageProcess

pytestmark = pytest.mark.django_db

PAGES = [
    ("sepakat:index", ()),
    ("workflow:inbox", ()),
    ("workflow:queue", ()),
    ("workflow:archive", ()),
    ("workflow:flows:mou:process_list", ()),
    ("workflow:flows:mou:task_list", ()),
]


def open_cases(slugs):
    for slug in slugs:
        driver.run_programme(Programme.objects.get(region__slug=slug), stop_stage=Stage.MOU, stop_step="paraf_laip")


def count(client, name, args=()):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(name, args=args)).status_code == 200
    return len(queries)


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_list_pages_cost_the_same_with_more_rows(as_user, name, args):
    client = as_user("laip.direktur")
    open_cases(["kota-banjar", "kota-solok"])
    count(client, name, args)  # warm caches (content types, permissions)
    few = count(client, name, args)
    open_cases(["kab-bangli", "kab-gianyar", "kab-serang", "kota-parepare"])
    many = count(client, name, args)
    assert many == few, f"{name}: {few} queries with 2 cases, {many} with 6"


def test_the_case_page_costs_the_same_with_more_history(as_user, programme):
    client = as_user("kota-banjar.kominfo")
    driver.run_programme(programme("kota-banjar"), stop_stage=Stage.MOU, stop_step="paraf_laip")
    case = StageProcess.objects.get(programme=programme("kota-banjar"), stage=Stage.MOU)
    few = count(client, "sepakat:case_detail", (case.pk,))
    driver.advance(case, until_step="sign_region")
    many = count(client, "sepakat:case_detail", (case.pk,))
    assert many <= few + 2, f"{few} -> {many}"
