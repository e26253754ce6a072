"""Refused requests leave a trace without flooding the chain: one "access.refused" event
per user, route and hour, and a counter of every refusal."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse, HttpResponseNotFound
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import timezone

from audit import refusals
from audit.models import AuditEvent, RefusalCount
from audit.services import chain_verify, guard_installed
from sepakat.refusals import RefusalMiddleware
from workflows import services
from workflows.models import Stage

from ..workflows.helpers import claim, open_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(programme):
    """A Kota Banjar MoU case, open at its draft."""
    return services.stage_open(programme=programme("kota-banjar"), stage=Stage.MOU)


def refused_events(username):
    return list(AuditEvent.objects.filter(action="access.refused", actor__username=username).order_by("pk"))


def case_url(case):
    return reverse("sepakat:case_detail", kwargs={"process_pk": case.pk})


def test_fifty_requests_for_another_regions_case_write_one_event_and_count_fifty(as_user, case):
    client = as_user("kota-solok.bappeda")
    url = case_url(case)
    for _ in range(50):
        assert client.get(url).status_code == 404
    [counter] = RefusalCount.objects.filter(user__username="kota-solok.bappeda")
    assert counter.count == 50 and counter.status == 404
    assert counter.route == "sepakat:case_detail"
    assert counter.first_path == counter.last_path == url
    assert counter.hour == timezone.now().replace(minute=0, second=0, microsecond=0)
    [event] = refused_events("kota-solok.bappeda")
    assert event.details["route"] == "sepakat:case_detail" and event.details["status"] == 404
    assert event.details["path"] == url and event.details["kwargs"] == {"process_pk": str(case.pk)}
    assert chain_verify() == (True, "ok")


def test_a_claim_without_the_role_is_refused_and_counted(as_user, case):
    client = as_user("kota-banjar.bappeda")  # Kota Banjar's, but the draft is Diskominfo's
    draft = open_task(case, "draft")
    assert claim(client, draft).status_code == 403
    assert claim(client, draft).status_code == 403
    [counter] = RefusalCount.objects.filter(user__username="kota-banjar.bappeda")
    assert counter.count == 2 and counter.status == 403 and counter.route.endswith(":assign")
    [event] = refused_events("kota-banjar.bappeda")
    assert event.details["status"] == 403
    draft.refresh_from_db()
    assert draft.owner is None


def test_each_route_and_each_hour_gets_its_own_event(as_user, case, monkeypatch):
    client = as_user("kota-solok.bappeda")
    client.get(case_url(case))
    client.get(reverse("sepakat:compare", kwargs={"process_pk": case.pk}))
    assert len(refused_events("kota-solok.bappeda")) == 2
    later = timezone.now() + datetime.timedelta(hours=1)
    monkeypatch.setattr(refusals, "_now", lambda: later)
    client.get(case_url(case))
    client.get(case_url(case))
    assert len(refused_events("kota-solok.bappeda")) == 3
    counts = RefusalCount.objects.filter(user__username="kota-solok.bappeda", route="sepakat:case_detail")
    assert sorted(counts.values_list("count", flat=True)) == [1, 2]


def test_a_403_without_an_object_is_counted_too(as_user):
    client = as_user("kota-banjar.kominfo")  # not an auditor
    assert client.get(reverse("audit:index")).status_code == 403
    [counter] = RefusalCount.objects.filter(user__username="kota-banjar.kominfo")
    assert counter.route == "audit:index" and counter.count == 1


def test_an_unknown_address_is_not_a_refusal(as_user):
    client = as_user("kota-banjar.kominfo")
    assert client.get("/tidak-ada-halaman-ini/").status_code == 404
    assert not RefusalCount.objects.exists()
    assert not refused_events("kota-banjar.kominfo")


def test_anonymous_visitors_are_sent_to_login_not_counted(client, case):
    response = client.get(case_url(case))
    assert response.status_code == 302
    assert not RefusalCount.objects.exists()


def anonymous_refusal(path, ip, status=404):
    request = RequestFactory().get(path, REMOTE_ADDR=ip)
    request.user = AnonymousUser()

    def get_response(request):
        request.resolver_match = resolve(path)
        return HttpResponseNotFound() if status == 404 else HttpResponse(status=status)

    return RefusalMiddleware(get_response)(request)


def test_anonymous_refusals_are_counted_per_address_bounded_and_never_chained(case, monkeypatch):
    monkeypatch.setattr(refusals, "ANONYMOUS_ADDRESSES_PER_HOUR", 2)
    before = AuditEvent.objects.count()
    path = case_url(case)
    for ip in ["10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.3"]:
        assert anonymous_refusal(path, ip).status_code == 404
    rows = dict(RefusalCount.objects.filter(user=None).values_list("ip", "count"))
    assert rows == {"10.0.0.1": 2, "10.0.0.2": 1, "": 3}  # past two addresses, one shared row
    assert AuditEvent.objects.count() == before


def test_the_counter_is_a_plain_table_the_audit_triggers_leave_alone(as_user, case):
    as_user("kota-solok.bappeda").get(case_url(case))
    RefusalCount.objects.update(count=7)
    assert RefusalCount.objects.get().count == 7
    RefusalCount.objects.all().delete()
    assert not RefusalCount.objects.exists()
    assert guard_installed() in (True, None)
    with pytest.raises(Exception, match="append-only"):
        AuditEvent.objects.filter(action="access.refused").update(actor_label="x")


def test_a_failure_to_count_never_breaks_the_response(as_user, case, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database away")

    monkeypatch.setattr(refusals, "refusal_record", broken)
    assert as_user("kota-solok.bappeda").get(case_url(case)).status_code == 404


def test_auditors_see_the_refusal_counts_in_their_scope(as_user, case):
    probe = as_user("kota-solok.bappeda")
    for _ in range(3):
        probe.get(case_url(case))
    url = reverse("audit:refusals")
    national = as_user("auditor").get(url)
    assert national.status_code == 200
    assert [(r.user.username, r.count) for r in national.context["rows"]] == [("kota-solok.bappeda", 3)]
    assert national.context["total"] == 3 and "sepakat:case_detail" in national.content.decode()
    solok = as_user("kota-solok.auditor").get(url)
    assert [r.user.username for r in solok.context["rows"]] == ["kota-solok.bappeda"]
    assert as_user("kota-banjar.auditor").get(url).context["rows"] == []
    assert as_user("kota-banjar.kominfo").get(url).status_code == 403
