"""The losers of a claim race are told who took the task, not shown a bare 403."""

from django.utils import timezone

from agreements.models import Agency
from demo import driver
from permissions.models import RoleAssignment
from permissions.roles import AgencyKind, RoleKind
from permissions.services import role_sync_user
from workflows import messages
from workflows.models import Stage

from .helpers import claim, open_task, task_url

BANJAR = "kota-banjar"


def test_the_second_claimant_is_told_who_took_the_task(as_user, programme, official):
    process = driver.run_programme(programme(BANJAR), stop_stage=Stage.MOU, stop_step="review_diskominfo")[0]
    task = open_task(process, "review_diskominfo")
    winner = official(f"{BANJAR}.kominfo")
    loser = official(f"{BANJAR}.kominfo.staf")
    RoleAssignment.objects.create(user=loser, role=RoleKind.REVIEWER, valid_from=timezone.localdate(),
                                  agency=Agency.objects.get(region__slug=BANJAR, kind=AgencyKind.DISKOMINFO))
    role_sync_user(user=loser)
    assert claim(as_user(winner.username), task).status_code == 302

    client = as_user(loser.username)
    response = client.post(task_url(task, "assign"), follow=True)
    assert response.status_code == 200
    assert str(messages.TASK_TAKEN % {"name": winner.official.full_name}) in response.content.decode()
    assert response.redirect_chain[0][0].endswith(f"/{process.pk}/")

    again = as_user(winner.username).post(task_url(task, "assign"))  # the winner's second click: their task
    assert again.status_code == 302 and again["Location"] == task_url(task, "execute")


def test_someone_who_could_never_claim_it_learns_nothing(as_user, programme, official):
    process = driver.run_programme(programme(BANJAR), stop_stage=Stage.MOU, stop_step="review_diskominfo")[0]
    task = open_task(process, "review_diskominfo")
    winner = official(f"{BANJAR}.kominfo")
    assert claim(as_user(winner.username), task).status_code == 302
    response = as_user("kota-solok.kominfo").post(task_url(task, "assign"))
    assert response.status_code in (403, 404)
    assert winner.official.full_name not in response.content.decode()


def test_a_case_locked_through_every_retry_is_a_message_not_a_500(as_user, programme, monkeypatch):
    from contextlib import contextmanager

    from viewflow.workflow.exceptions import FlowLockFailed

    from workflows.flows import MouFlow

    process = driver.run_programme(programme(BANJAR), stop_stage=Stage.MOU, stop_step="review_diskominfo")[0]
    task = open_task(process, "review_diskominfo")

    @contextmanager
    def still_locked(flow_class, process_pk):
        raise FlowLockFailed("Lock failed")
        yield

    monkeypatch.setattr(MouFlow, "lock_impl", still_locked)
    client = as_user(f"{BANJAR}.kominfo")
    for name in ("assign", "execute"):
        response = client.post(task_url(task, name), follow=True)
        assert response.status_code == 200, name
        assert str(messages.CASE_BUSY) in response.content.decode(), name
    task.refresh_from_db()
    assert task.owner_id is None
