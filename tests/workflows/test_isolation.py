"""A user of one region never sees another region's case, anywhere."""

import pytest
from django.urls import reverse

from agreements.models import DecisionKind
from demo import driver
from workflows import services
from workflows.models import Stage, StageProcess

from .helpers import claim, decide, open_task, task_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def banjar_case(programme, official):
    """Banjar's MoU after one review: one claimed task, one finished, a stored version."""
    process = services.first_case_open(programme=programme("kota-banjar"))
    driver.act(open_task(process, "draft"))
    driver.act(open_task(process, "review_legal"))
    driver.claim(open_task(process, "review_diskominfo"), official("kota-banjar.kominfo"))
    return StageProcess.objects.get(pk=process.pk)


def detail_urls(process):
    task = open_task(process, "review_diskominfo")
    done = process.task_set.filter(flow_task_type="HUMAN", finished__isnull=False).first()
    flow = "workflow:flows:mou"
    return [
        reverse("sepakat:case_detail", args=[process.pk]),
        reverse("sepakat:version_pdf", args=[process.pk, 1]),
        reverse("sepakat:final_pdf", args=[process.pk]),
        reverse("sepakat:compare", args=[process.pk]),
        reverse("sepakat:attachment_upload", args=[process.pk]),
        reverse("sepakat:programme", args=["kota-banjar", 2024]),
        reverse(f"{flow}:process_detail", args=[process.pk]),
        reverse(f"{flow}:process_chart", args=[process.pk]),
        task_url(task, "index"),
        task_url(task, "detail"),
        task_url(task, "assign"),
        task_url(task, "unassign"),
        task_url(task, "execute"),
        task_url(done, "detail"),
    ]


LISTS = [
    "sepakat:index",
    "workflow:inbox",
    "workflow:queue",
    "workflow:archive",
    "workflow:flows:mou:index",
    "workflow:flows:mou:process_list",
    "workflow:flows:mou:task_list",
    "workflow:flows:regulation:index",
    "workflow:flows:regulation:process_list",
    "workflow:flows:masterplan:process_list",
]


def test_another_regions_user_gets_404_on_every_detail_url(banjar_case, as_user):
    client = as_user("kota-solok.kominfo")
    for url in detail_urls(banjar_case):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"decision": DecisionKind.APPROVED}).status_code in (404, 405), url


def test_another_regions_user_sees_nothing_in_any_listing(banjar_case, as_user):
    client = as_user("kota-solok.kominfo")
    for name in LISTS:
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert "Banjar" not in response.content.decode(), name


def test_the_regions_own_users_and_central_roles_see_the_case(banjar_case, as_user):
    for username in ("kota-banjar.kominfo", "kota-banjar.bappeda", "laip.direktur", "auditor"):
        client = as_user(username)
        assert client.get(reverse("sepakat:case_detail", args=[banjar_case.pk])).status_code == 200, username
        assert "Banjar" in client.get(reverse("workflow:flows:mou:process_list")).content.decode(), username
    inbox = as_user("kota-banjar.kominfo").get(reverse("workflow:inbox")).content.decode()
    assert "Banjar" in inbox


def test_a_wrong_role_in_the_same_region_can_neither_claim_nor_execute(banjar_case, as_user, official):
    task = open_task(banjar_case, "review_diskominfo")
    # kominfo claimed it; release so that the queue offers it again
    with services.acting_on(task) as activation:
        services.task_release(activation=activation, user=official("kota-banjar.kominfo"))
    client = as_user("kota-banjar.bappeda")
    queue = client.get(reverse("workflow:queue")).content.decode()
    # Its row (the step filter lists every step of the flows, this one included, but no task of it).
    assert f"#{task.process_id}/{task.pk}" not in queue and f"/{task.pk}/" not in queue
    assert claim(client, task).status_code == 403
    assert decide(client, task, DecisionKind.APPROVED).status_code == 403
    task.refresh_from_db()
    assert task.owner_id is None


def test_the_right_role_of_another_region_cannot_claim(banjar_case, as_user):
    client = as_user("kota-solok.kominfo")
    task = open_task(banjar_case, "review_diskominfo")
    assert claim(client, task).status_code == 404


def test_an_auditor_can_read_but_not_act(banjar_case, as_user):
    client = as_user("auditor")
    task = open_task(banjar_case, "review_diskominfo")
    assert client.get(reverse("sepakat:case_detail", args=[banjar_case.pk])).status_code == 200
    assert decide(client, task, DecisionKind.APPROVED).status_code == 403
    assert client.post(reverse("sepakat:case_open", args=["kota-solok", 2024, "mou"])).status_code == 403
    assert not StageProcess.objects.filter(programme__region__slug="kota-solok", stage=Stage.MOU).exists()


def test_anonymous_visitors_are_sent_to_the_login_page(banjar_case, client):
    for url in [reverse("sepakat:index"), reverse("workflow:inbox"), *detail_urls(banjar_case)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url
    assert client.get(reverse("login")).status_code == 200


def test_login_with_the_demo_password_works(client, official):
    from demo.world import DEMO_PASSWORD

    official_user = official("kota-banjar.kominfo")
    official_user.set_password(DEMO_PASSWORD)
    official_user.save()
    response = client.post(reverse("login"), {"username": "kota-banjar.kominfo", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("sepakat:index")).status_code == 200


def test_every_page_works_for_the_regions_own_officials(banjar_case, as_user):
    """The same routes, as officials who may see them: no server errors anywhere."""
    for username in ("kota-banjar.kominfo", "laip.direktur", "auditor", "kota-banjar.bappeda"):
        client = as_user(username)
        for url in [reverse(name) for name in LISTS] + detail_urls(banjar_case):
            response = client.get(url, follow=True)
            assert response.status_code in (200, 403, 404, 405), (username, url, response.status_code)
            if url.endswith("final.pdf") or "bandingkan" in url:
                assert response.status_code == 404  # not signed yet; one version only
            elif "lampiran" in url:
                assert response.status_code == 405  # upload is POST only
            elif "/assign/" not in url and "/unassign/" not in url and "/execute/" not in url:
                assert response.status_code == 200, (username, url, response.status_code)
    reviewer = as_user("kota-banjar.kominfo")
    task = open_task(banjar_case, "review_diskominfo")
    assert reviewer.get(task_url(task, "execute")).status_code == 200
    assert reviewer.get(reverse("workflow:flows:mou:chart")).status_code == 200
