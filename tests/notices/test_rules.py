"""Who is told of what: notices follow the audit log, and never cross a region's boundary."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from agreements.models import DecisionKind
from demo.driver import run_programme
from notices.models import Notice, NoticeKind
from permissions.delegation import delegation_create
from permissions.models import RoleAssignment
from permissions.roles import RoleKind
from permissions.selectors import holders_of
from workflows.models import Stage, StageProcess
from workflows.selectors import process_visible

from ..workflows.helpers import act, claim, open_task, task_url
from ..workflows.test_mou_flow import BANJAR, start_case, submit_draft

pytestmark = pytest.mark.django_db

SOLOK = "kota-solok"


def notices_of(process, kind=None):
    found = Notice.objects.filter(process=process).select_related("recipient")
    return found.filter(kind=kind) if kind else found


def told(process, kind, task=None):
    found = notices_of(process, kind)
    if task is not None:
        found = found.filter(event__task_id=task.pk)
    return sorted(found.values_list("recipient__username", flat=True))


def test_a_new_task_tells_exactly_its_roles_holders_in_that_region(as_user, programme):
    process = start_case(as_user, programme)
    submit_draft(as_user, process)
    review = open_task(process, "review_diskominfo")
    legal = open_task(process, "review_legal")

    assert told(process, NoticeKind.TASK_CREATED, review) == [f"{BANJAR}.kominfo"]
    assert told(process, NoticeKind.TASK_CREATED, legal) == [f"{BANJAR}.hukum"]
    expected = sorted(u.get_username() for u in holders_of(review.flow_task.step_role, process.programme.region))
    assert told(process, NoticeKind.TASK_CREATED, review) == expected
    notice = notices_of(process, NoticeKind.TASK_CREATED).get(event__task_id=review.pk)
    assert "Tenggat" in notice.body and "Kota Banjar" in notice.title
    assert notice.url == task_url(review, "index")


def test_a_delegate_is_told_of_the_tasks_of_the_role_they_hold_for_now(as_user, programme, official):
    holder, delegate = official(f"{BANJAR}.kominfo"), official(f"{BANJAR}.kominfo.staf")
    assignment = RoleAssignment.objects.get(user=holder, role=RoleKind.REVIEWER)
    today = timezone.localdate()
    delegation_create(actor=holder, assignment=assignment, delegate=delegate, kind="an", valid_from=today,
                      valid_until=today + datetime.timedelta(days=7), reason="Dinas luar")
    given = Notice.objects.get(recipient=delegate, kind=NoticeKind.DELEGATION_GIVEN)
    assert given.url == reverse("sepakat:delegations")

    process = start_case(as_user, programme)
    submit_draft(as_user, process)
    review = open_task(process, "review_diskominfo")
    assert told(process, NoticeKind.TASK_CREATED, review) == [f"{BANJAR}.kominfo", f"{BANJAR}.kominfo.staf"]


def test_a_return_tells_the_drafter_with_the_note_and_the_others_of_the_decision(as_user, programme):
    process = start_case(as_user, programme)
    submit_draft(as_user, process)
    act(as_user, f"{BANJAR}.hukum", process, "review_legal", DecisionKind.APPROVED)
    act(as_user, f"{BANJAR}.kominfo", process, "review_diskominfo", DecisionKind.RETURNED,
        note="Pasal 2 <b>belum</b> memuat jangka waktu.")

    returned = notices_of(process, NoticeKind.DRAFT_RETURNED).get()
    assert returned.recipient.username == "laip.staf"
    assert "Pasal 2 <b>belum</b> memuat jangka waktu." in returned.body  # stored as written, escaped when shown
    # Bagian Hukum took part: told of the decision; the one who returned it is told nothing of their own act.
    of_the_return = sorted(notices_of(process, NoticeKind.DECISION_MADE).filter(event=returned.event)
                           .values_list("recipient__username", flat=True))
    assert of_the_return == [f"{BANJAR}.hukum"]  # the drafter had the return notice, not a second one


def test_a_rejection_and_a_completion_tell_everyone_who_took_part(as_user, programme):
    (case,) = run_programme(programme(BANJAR), only_stage=Stage.MOU)
    assert case.outcome == "completed"
    completed = told(case, NoticeKind.CASE_COMPLETED)
    assert {"laip.staf", f"{BANJAR}.kominfo", f"{BANJAR}.hukum", "laip.direktur", f"{BANJAR}.sekda",
            f"{BANJAR}.kdh"} <= set(completed)
    assert len(completed) == len(set(completed))  # once each


def test_no_notice_ever_names_a_case_to_someone_outside_its_region(as_user, programme):
    """Generated from whole stages in two regions: every notice's reader may see the case it names."""
    cases = run_programme(programme(BANJAR), stop_stage=Stage.REGULATION, stop_step="enact")
    cases += run_programme(programme(SOLOK), only_stage=Stage.MOU)
    notices = Notice.objects.filter(process__in=cases).select_related("recipient", "process")
    assert notices.count() > 30
    for notice in notices:
        assert process_visible(notice.recipient, notice.process_id), (notice.recipient, notice.title)
        assert notice.region_id == StageProcess.objects.get(pk=notice.process_id).programme.region_id
    users = get_user_model().objects
    solok_only = users.filter(username__startswith=f"{SOLOK}.")
    assert not Notice.objects.filter(recipient__in=solok_only, process__programme__region__slug=BANJAR).exists()
    banjar_only = users.filter(username__startswith=f"{BANJAR}.")
    assert not Notice.objects.filter(recipient__in=banjar_only, process__programme__region__slug=SOLOK).exists()
    assert Notice.objects.filter(recipient__in=solok_only, process__programme__region__slug=SOLOK).exists()


def test_a_claimed_task_and_a_rolled_back_change_tell_nobody_twice(as_user, programme):
    process = start_case(as_user, programme)
    task = open_task(process, "draft")
    client = as_user("laip.staf")
    assert claim(client, task).status_code == 302
    before = Notice.objects.count()
    client.get(task_url(task, "execute"))  # opening the step page starts the task in memory only
    assert Notice.objects.count() == before


def test_a_head_hands_an_unclaimed_task_to_a_holder_who_is_told(as_user, programme, official):
    """An escalated task may be one nobody claimed: its agency's head gives it to a holder, who is told."""
    head, delegate = official(f"{BANJAR}.kominfo"), official(f"{BANJAR}.kominfo.staf")
    today = timezone.localdate()
    delegation_create(actor=head, assignment=RoleAssignment.objects.get(user=head, role=RoleKind.REVIEWER),
                      delegate=delegate, kind="an", valid_from=today, valid_until=today + datetime.timedelta(days=7))
    process = start_case(as_user, programme)
    submit_draft(as_user, process)
    review = open_task(process, "review_diskominfo")
    client = as_user(head.username)
    response = client.post(reverse("sepakat:reassign", args=[process.pk, review.pk]),
                           {"to": delegate.pk, "reason": "Kepala dinas sedang dinas luar"})
    assert response.status_code == 302, response.content.decode()[:2000]
    review.refresh_from_db()
    assert review.owner == delegate and review.status == "ASSIGNED"
    handed = Notice.objects.get(recipient=delegate, kind=NoticeKind.TASK_REASSIGNED)
    assert "Kepala dinas sedang dinas luar" in handed.body and handed.url == task_url(review, "index")
    assert not Notice.objects.filter(recipient=head, kind=NoticeKind.TASK_REASSIGNED).exists()  # their own act


def test_a_return_tells_the_drafter_once(as_user, programme):
    process = start_case(as_user, programme)
    submit_draft(as_user, process)
    act(as_user, f"{BANJAR}.hukum", process, "review_legal", DecisionKind.APPROVED)
    act(as_user, f"{BANJAR}.kominfo", process, "review_diskominfo", DecisionKind.RETURNED, note="Perbaiki pasal 2.")
    redraft = open_task(process, "draft")
    drafter = Notice.objects.filter(recipient__username="laip.staf", process=process)
    assert drafter.filter(kind=NoticeKind.DRAFT_RETURNED).count() == 1
    assert not drafter.filter(kind=NoticeKind.TASK_CREATED, event__task_id=redraft.pk).exists()


def test_someone_who_can_no_longer_see_the_case_is_told_no_more_of_it(as_user, programme, official):
    """A delegate decided on the case, then left the region's service: they hear nothing more of the case."""
    holder, delegate = official(f"{BANJAR}.kominfo"), official(f"{BANJAR}.kominfo.staf")
    today = timezone.localdate()
    delegation = delegation_create(actor=holder, assignment=RoleAssignment.objects.get(user=holder,
                                                                                        role=RoleKind.REVIEWER),
                                   delegate=delegate, kind="an", valid_from=today,
                                   valid_until=today + datetime.timedelta(days=7))
    process = start_case(as_user, programme)
    submit_draft(as_user, process)
    act(as_user, delegate.username, process, "review_diskominfo", DecisionKind.APPROVED)
    from permissions.delegation import delegation_end

    delegation_end(actor=holder, delegation=delegation)
    ended = Notice.objects.get(recipient=delegate, kind=NoticeKind.DELEGATION_ENDED)
    assert "Peninjau" in ended.body
    from permissions.assignments import assignment_end

    for assignment in RoleAssignment.objects.filter(user=delegate):  # moved to another post, outside Banjar
        assignment_end(assignment=assignment, actor=holder)
    act(as_user, f"{BANJAR}.hukum", process, "review_legal", DecisionKind.APPROVED)
    later = Notice.objects.filter(process=process, kind=NoticeKind.DECISION_MADE, event__details__step="review_legal")
    assert "laip.staf" in later.values_list("recipient__username", flat=True)
    assert not later.filter(recipient=delegate).exists()


def test_a_claimed_task_whose_owner_lost_the_role_reminds_the_holders(as_user, programme, official):
    from notices.recipients import step_holders

    process = start_case(as_user, programme)
    submit_draft(as_user, process)
    review = open_task(process, "review_diskominfo")
    assert claim(as_user(f"{BANJAR}.kominfo"), review).status_code == 302
    review.refresh_from_db()
    assert [u.username for u in step_holders(review, process.programme.region)] == [f"{BANJAR}.kominfo"]
    RoleAssignment.objects.filter(user=review.owner, role=RoleKind.REVIEWER).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=1))
    assert f"{BANJAR}.kominfo" not in [u.username for u in step_holders(review, process.programme.region)]


def test_an_administrators_change_of_delegate_tells_both_and_a_removal_tells_the_delegate(official):
    """The admin's delegation events (permissions.admin.DelegationAdmin), as it records them."""
    from audit.actions import AuditAction
    from audit.services import event_record

    holder, old, new = official(f"{BANJAR}.kominfo"), official(f"{BANJAR}.kominfo.staf"), official(f"{BANJAR}.hukum")
    today = timezone.localdate()
    delegation = delegation_create(actor=holder, assignment=RoleAssignment.objects.get(user=holder,
                                                                                        role=RoleKind.REVIEWER),
                                   delegate=old, kind="an", valid_from=today,
                                   valid_until=today + datetime.timedelta(days=7))
    event_record(actor=holder, action=AuditAction.ROLE_DELEGATION_CHANGED, region=programme_region(),
                 details={"delegation": delegation.pk, "delegator": holder.username, "delegate": new.username,
                          "old": {"delegate": old.username}, "new": {"delegate": new.username}})
    assert Notice.objects.filter(recipient=old, kind=NoticeKind.DELEGATION_ENDED).count() == 1
    given = Notice.objects.get(recipient=new, kind=NoticeKind.DELEGATION_GIVEN)
    assert holder.official.full_name in given.title and "Peninjau" in given.body
    event_record(actor=holder, action=AuditAction.ROLE_DELEGATION_REMOVED, region=programme_region(),
                 details={"delegation": delegation.pk, "delegator": holder.username, "delegate": new.username,
                          "old": {"role": RoleKind.REVIEWER, "agency": "Diskominfo"}})
    assert Notice.objects.filter(recipient=new, kind=NoticeKind.DELEGATION_ENDED).count() == 1


def programme_region():
    from agreements.models import Region

    return Region.objects.get(slug=BANJAR)
