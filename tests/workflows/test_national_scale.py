"""Lists that stay bounded at national scale (issue 15): paged, searched, the same queries for more rows."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agreements.models import Programme, Region
from workflows import services
from workflows.selectors import PROGRAMMES_PER_PAGE, my_tasks

pytestmark = pytest.mark.django_db

CENTRAL = "laip.direktur"


def more_programmes(slug: str, count: int) -> None:
    region = Region.objects.get(slug=slug)
    taken = set(Programme.objects.filter(region=region).values_list("year", flat=True))
    years = [year for year in range(2017, 2101) if year not in taken][:count]
    Programme.objects.bulk_create([Programme(region=region, year=year) for year in years])


def programme_rows(page: str) -> int:
    body = page.split('id="sp-programmes"', 1)[1].split("</table>", 1)[0]
    return body.count("<tr>") - 1  # the header's row


def test_the_programme_list_is_paged_and_a_bad_page_shows_the_nearest(as_user):
    more_programmes("kota-banjar", 70)
    total = Programme.objects.count()
    client = as_user(CENTRAL)
    first = client.get(reverse("sepakat:index")).content.decode()
    assert programme_rows(first) == PROGRAMMES_PER_PAGE
    assert f"dari {total}." in first and 'rel="next"' in first
    last_number = -(-total // PROGRAMMES_PER_PAGE)
    last = client.get(reverse("sepakat:index"), {"page": last_number}).content.decode()
    assert programme_rows(last) == total - PROGRAMMES_PER_PAGE * (last_number - 1)
    assert client.get(reverse("sepakat:index"), {"page": "999"}).content.decode().count("<tr>") == last.count("<tr>")
    assert programme_rows(client.get(reverse("sepakat:index"), {"page": "abc"}).content.decode()) == \
        PROGRAMMES_PER_PAGE


def test_the_programme_list_searches_a_region_and_a_year_and_keeps_them_in_its_links(as_user):
    more_programmes("kota-banjar", 70)
    client = as_user(CENTRAL)
    page = client.get(reverse("sepakat:index"), {"q": "banjar"}).content.decode()
    assert programme_rows(page) == PROGRAMMES_PER_PAGE and "Kota Solok" not in page.split('id="sp-programmes"')[1]
    assert "q=banjar&amp;page=2" in page
    one_year = client.get(reverse("sepakat:index"), {"q": "banjar", "tahun": "2090"}).content.decode()
    assert programme_rows(one_year) == 1
    nothing = client.get(reverse("sepakat:index"), {"q": "<script>x</script>" * 20}).content.decode()
    assert "Tidak ada program yang cocok" in nothing and "<script>x</script>" not in nothing


def test_the_programme_list_asks_the_same_queries_for_ten_times_the_programmes(as_user):
    client = as_user(CENTRAL)
    client.get(reverse("sepakat:index"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("sepakat:index"))
    more_programmes("kota-banjar", 80)
    more_programmes("kota-solok", 80)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("sepakat:index"))
    assert len(many) == len(few)


def test_a_case_is_found_in_the_queue_by_its_number_or_its_region(as_user, programme):
    banjar = services.first_case_open(programme=programme("kota-banjar"))
    solok = services.first_case_open(programme=programme("kota-solok"))
    client = as_user("laip.staf")  # the drafter of every region's MoU
    queue = client.get(reverse("workflow:queue"), {"process": f"#{banjar.pk}"}).content.decode()
    assert f"#{banjar.pk}/" in queue and f"#{solok.pk}/" not in queue
    by_region = client.get(reverse("workflow:queue"), {"process": "solok"}).content.decode()
    assert f"#{solok.pk}/" in by_region and f"#{banjar.pk}/" not in by_region
    assert client.get(reverse("workflow:queue"), {"process": "x" * 500}).status_code == 200


def test_an_administrators_tasks_are_those_of_the_roles_they_hold_not_every_task_in_the_country(programme,
                                                                                              official):
    services.first_case_open(programme=programme("kota-banjar"))
    admin = get_user_model().objects.create_superuser("admin-uji", "admin@sepakat.example", "x" * 16)
    assert my_tasks(admin)["counts"]["action"] == 0  # viewflow's queue lists the draft for a superuser
    assert my_tasks(official("laip.staf"))["counts"]["action"] == 1
