"""Notices leave Sepakat by e-mail and WhatsApp: once each, after the change is saved, again after a failure.

Against a real SMTP server and a fake WhatsApp gateway started by the tests (smtp_server.py,
fake_gateway.py), as the seeded officials.
"""

import json
from datetime import timedelta
from email.message import EmailMessage

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from agreements.models import Decision, DecisionKind
from audit.actions import AuditAction
from audit.models import AuditEvent
from notices import delivery as deliveries
from notices import mailbox, tasks
from notices.channels import whatsapp
from notices.models import Channel, Delivery, DeliveryState, DigestMode, Notice, NoticeKind, NoticePreference
from notices.services import notice_create
from workflows.models import Outcome, StageProcess

from ..workflows.helpers import act, claim, draft_form, open_task, task_url

pytest_plugins = ["tests.notices.smtp_server", "tests.notices.fake_gateway"]  # their fixtures
pytestmark = pytest.mark.django_db

BANJAR = "kota-banjar"
DRAFTER = "laip.staf"
REVIEWER = f"{BANJAR}.kominfo"
NUMBER = "+6281234567890"

def tell(user, key="1", title="Tugas baru: Telaah Diskominfo — Kota Banjar (2024)",
         body="Kasus Nota Kesepakatan Kota Banjar menunggu tindakan Anda.", url="/kasus/1/"):
    return notice_create(recipient=user, kind=NoticeKind.TASK_CREATED, key=f"test:{key}:{user.pk}", title=title,
                         body=body, url=url)


def prefer(user, *, by_email=True, by_whatsapp=False, mode=DigestMode.IMMEDIATE, number=""):
    NoticePreference.objects.update_or_create(user=user, defaults={
        "by_email": by_email, "by_whatsapp": by_whatsapp, "mode": mode})
    if number:
        user.official.whatsapp_number = number
        user.official.save(update_fields=["whatsapp_number"])
    return user


def parts(message: EmailMessage) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def later(minutes):
    return time_machine.travel(timezone.now() + timedelta(minutes=minutes), tick=False)


def the_delivery(notice, channel=Channel.EMAIL) -> Delivery:
    return Delivery.objects.get(notice=notice, channel=channel)


# Through the site ------------------------------------------------------------------------------------


def start_and_submit(as_user, programme):
    client = as_user(DRAFTER)
    assert client.post(reverse("sepakat:case_open", args=[BANJAR, 2024, "mou"])).status_code == 302
    process = StageProcess.objects.get(programme=programme(BANJAR), outcome=Outcome.OPEN)
    task = open_task(process, "draft")
    assert claim(client, task).status_code == 302
    response = client.post(task_url(task, "execute"), draft_form(title="Sinergi <Kota> & Cerdas"))
    assert response.status_code == 302, response.content.decode()[:2000]
    return process


def returned_mail(server, address) -> list[EmailMessage]:
    return [m for m in server.to(address) if str(m["Subject"]).startswith("[Sepakat] Draf dikembalikan")]


def test_a_reviewer_returning_the_draft_emails_the_drafter_a_working_link(smtp_server, as_user, programme,
                                                                           official):
    drafter = official(DRAFTER)
    drafter.email = "staf.laip@kemendagri.example"
    drafter.save(update_fields=["email"])
    process = start_and_submit(as_user, programme)

    act(as_user, REVIEWER, process, "review_diskominfo", DecisionKind.RETURNED, "Pasal 2 <kurang> rinci.")

    [message] = returned_mail(smtp_server, drafter.email)
    assert str(message["Subject"]) == "[Sepakat] Draf dikembalikan: Nota Kesepakatan Kota Banjar (2024)"
    assert message["From"] and message["Auto-Submitted"] == "auto-generated"
    text, html = parts(message)
    link = f"{django_settings.SEPAKAT_BASE_URL}{reverse('sepakat:case_detail', kwargs={'process_pk': process.pk})}"
    assert "Pasal 2 <kurang> rinci." in text and link in text
    assert "Pasal 2 &lt;kurang&gt; rinci." in html and "<kurang>" not in html and f'href="{link}"' in html
    assert "/pemberitahuan/pengaturan/" in text and "/pemberitahuan/pengaturan/" in html
    # The link opens the case for the drafter.
    assert as_user(DRAFTER).get(link.removeprefix(django_settings.SEPAKAT_BASE_URL)).status_code == 200
    notice = Notice.objects.get(recipient=drafter, kind=NoticeKind.DRAFT_RETURNED, process=process)
    sent = the_delivery(notice)
    assert (sent.state, sent.attempts, sent.address) == (DeliveryState.SENT, 1, drafter.email)
    assert sent.sent_at is not None and sent.last_error == ""


def test_the_embedded_default_sends_the_mail_from_the_scheduler_not_in_the_click(smtp_server, as_user, programme,
                                                                                 official, settings, tmp_path):
    """make run: the decision only leaves the delivery due; `manage.py schedule` sends it (issue 15)."""
    drafter = official(DRAFTER)
    drafter.email = "staf.laip@kemendagri.example"
    drafter.save(update_fields=["email"])
    process = start_and_submit(as_user, programme)
    settings.SEPAKAT_BACKGROUND_BY_SCHEDULER = True

    act(as_user, REVIEWER, process, "review_diskominfo", DecisionKind.RETURNED, "Pasal 2 kurang rinci.")
    assert returned_mail(smtp_server, drafter.email) == []
    waiting = Delivery.objects.get(notice__recipient=drafter, notice__kind=NoticeKind.DRAFT_RETURNED)
    assert waiting.state == DeliveryState.PENDING and waiting.next_attempt_at <= timezone.now()

    call_command("schedule", "--once", "--entry", "deliveries-sweep", "--state", str(tmp_path / "schedule.json"))
    assert len(returned_mail(smtp_server, drafter.email)) == 1
    waiting.refresh_from_db()
    assert waiting.state == DeliveryState.SENT


def test_a_refusing_mail_server_keeps_the_decision_and_the_sweep_sends_the_mail_once(smtp_server, as_user,
                                                                                     programme, official):
    drafter = official(DRAFTER)
    process = start_and_submit(as_user, programme)
    smtp_server.refusing = True

    before = timezone.now()
    act(as_user, REVIEWER, process, "review_diskominfo", DecisionKind.RETURNED, "Perbaiki pasal 2.")

    assert Decision.objects.filter(process=process, kind=DecisionKind.RETURNED).exists()  # the change is saved
    notice = Notice.objects.get(recipient=drafter, kind=NoticeKind.DRAFT_RETURNED, process=process)
    failed = the_delivery(notice)
    assert (failed.state, failed.attempts, failed.sent_at) == (DeliveryState.FAILED, 1, None)
    assert before + timedelta(minutes=1) <= failed.next_attempt_at <= timezone.now() + timedelta(minutes=1)
    assert failed.last_error.startswith("SMTPRecipientsRefused: ") and "550" in failed.last_error
    assert returned_mail(smtp_server, drafter.email) == []

    assert deliveries.deliveries_sweep() == 0  # not due yet
    smtp_server.refusing = False
    with later(2):
        assert deliveries.deliveries_sweep() >= 1
        assert deliveries.deliveries_sweep() == 0
    failed.refresh_from_db()
    assert (failed.state, failed.attempts, failed.next_attempt_at) == (DeliveryState.SENT, 2, None)
    assert len(returned_mail(smtp_server, drafter.email)) == 1


# Failures, retries, giving up -------------------------------------------------------------------------


def test_no_mail_server_fails_with_growing_pauses_then_gives_up_after_about_a_day(no_smtp_server, official):
    notice = tell(official(DRAFTER))
    row = the_delivery(notice)
    assert (row.state, row.attempts) == (DeliveryState.FAILED, 1)
    assert row.last_error.startswith("ConnectionRefusedError")
    pauses, moment = [], timezone.now()
    while row.state == DeliveryState.FAILED:
        pauses.append(round((row.next_attempt_at - moment).total_seconds() / 60))
        moment = row.next_attempt_at + timedelta(seconds=1)
        with time_machine.travel(moment, tick=False):
            assert tasks.deliveries_sweep() == 0
        row.refresh_from_db()
    assert pauses == [1, 2, 4, 8, 16, 32] + [60] * 23  # 30 attempts over about a day (24 h 3 min)
    assert (row.state, row.attempts, row.next_attempt_at) == (DeliveryState.GIVEN_UP, 30, None)
    assert row.last_error.startswith("ConnectionRefusedError")
    with later(24 * 60):
        assert tasks.deliveries_sweep() == 0
    row.refresh_from_db()
    assert row.attempts == 30


def test_a_delivery_waiting_for_a_retry_is_given_up_once_its_reader_is_gone_or_turned_the_channel_off(
        no_smtp_server, official, settings):
    gone, shy = official(DRAFTER), official(REVIEWER)
    first, second = the_delivery(tell(gone, key="a")), the_delivery(tell(shy, key="b"))
    assert first.state == second.state == DeliveryState.FAILED
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    NoticePreference.objects.update_or_create(user=shy, defaults={"by_email": False})
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with later(5):
        deliveries.deliveries_sweep()
    for row, why in ((first, "dinonaktifkan"), (second, "mematikan saluran")):
        row.refresh_from_db()
        assert row.state == DeliveryState.GIVEN_UP and why in row.last_error
    assert mail.outbox == []


def test_a_delivery_is_sent_once_however_often_its_job_runs(official):
    notice = tell(official(DRAFTER))
    row = the_delivery(notice)
    assert row.state == DeliveryState.SENT and len(mail.outbox) == 1
    assert tasks.deliver(row.pk) is False
    assert tasks.deliver.delay(row.pk).get() is False  # the broker delivering the job again
    assert deliveries.deliveries_sweep() == 0
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert row.attempts == 1


def test_a_job_meeting_a_delivery_being_sent_by_another_does_nothing(official, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        notice = tell(official(DRAFTER))
    row = the_delivery(notice)
    claimed = deliveries._claim(row.pk, timezone.now())  # another worker is sending it right now
    assert claimed is not None
    for callback in queued:
        callback()  # the eager job queued by the notice
    assert tasks.deliver(row.pk) is False and deliveries.deliveries_sweep() == 0
    assert mail.outbox == []
    deliveries._record(claimed, None)
    row.refresh_from_db()
    assert (row.state, row.attempts) == (DeliveryState.SENT, 1)


def test_a_job_that_died_mid_send_is_sent_again_by_the_sweep_once_its_claim_ran_out(official,
                                                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        notice = tell(official(DRAFTER))  # its job is never run: lost with the broker
    row = the_delivery(notice)
    assert deliveries._claim(row.pk, timezone.now()) is not None  # ... and the worker died
    assert deliveries.deliveries_sweep() == 0
    with later(deliveries.CLAIM_LEASE.total_seconds() / 60 + 1):
        assert deliveries.deliveries_sweep() == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, len(mail.outbox)) == (DeliveryState.SENT, 2, 1)


def test_an_unexpected_error_never_reaches_the_caller(official, monkeypatch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        notice = tell(official(DRAFTER))
    row = the_delivery(notice)

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(deliveries, "_claim", broken)
    assert tasks.deliver(row.pk) is False
    assert deliveries.deliveries_sweep() == 0


def test_an_administrator_resends_a_given_up_delivery(official, django_user_model, client, no_smtp_server,
                                                      settings):
    notice = tell(official(DRAFTER))
    row = the_delivery(notice)
    Delivery.objects.filter(pk=row.pk).update(state=DeliveryState.GIVEN_UP, attempts=6, next_attempt_at=None)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "x"))
    changelist = reverse("admin:notices_delivery_changelist")
    response = client.post(changelist, {"action": "resend_now", "_selected_action": [row.pk]})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.state, row.attempts) == (DeliveryState.SENT, 1)
    assert [m.to for m in mail.outbox] == [[row.address]]
    event = AuditEvent.objects.filter(action=AuditAction.NOTICE_DELIVERY_RESENT).get()
    assert event.actor.username == "root" and event.details["old"] == {"state": "given_up", "attempts": 6}


def test_the_admin_shows_notices_and_changes_none(official, django_user_model, client):
    notice = tell(official(DRAFTER), title="Judul <script>alert(1)</script>")
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "x"))
    page = client.get(reverse("admin:notices_notice_changelist"))
    assert page.status_code == 200 and "&lt;script&gt;" in page.content.decode()
    detail = client.get(reverse("admin:notices_notice_change", args=[notice.pk]))
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert client.get(reverse("admin:notices_notice_add")).status_code == 403
    assert client.post(reverse("admin:notices_notice_delete", args=[notice.pk]), {"post": "yes"}).status_code == 403
    assert client.post(reverse("admin:notices_notice_change", args=[notice.pk]),
                       {"title": "Diubah"}).status_code == 403
    notice.refresh_from_db()
    assert notice.title.startswith("Judul")
    delivery_page = client.get(reverse("admin:notices_delivery_changelist")).content.decode()
    assert "Kirim ulang sekarang" in delivery_page


# Daily digests ---------------------------------------------------------------------------------------


def test_the_daily_digest_sends_one_mail_with_every_waiting_notice_and_then_nothing(smtp_server, official):
    user = prefer(official(DRAFTER), mode=DigestMode.DAILY)
    titles = [f"Pemberitahuan <{index}> & ringkas" for index in range(3)]
    made = [tell(user, key=str(index), title=title, body=f"Isi {index}.", url=f"/kasus/{index}/")
            for index, title in enumerate(titles)]
    assert smtp_server.messages == []
    assert {the_delivery(n).state for n in made} == {DeliveryState.DIGEST}
    assert deliveries.deliveries_sweep() == 0  # the sweep leaves digests to the morning

    assert tasks.digests_send() == 1

    [message] = smtp_server.to(user.email)
    assert str(message["Subject"]) == "[Sepakat] Ringkasan harian: 3 pemberitahuan"
    text, html = parts(message)
    for index, title in enumerate(titles):
        assert title in text and f"Isi {index}." in text
        assert f"{django_settings.SEPAKAT_BASE_URL}/kasus/{index}/" in text
        assert title.replace("<", "&lt;").replace(">", "&gt;").replace(" & ", " &amp; ") in html
    assert "<0>" not in html
    assert {the_delivery(n).state for n in made} == {DeliveryState.SENT}
    assert tasks.digests_send() == 0 and deliveries.deliveries_sweep() == 0
    assert len(smtp_server.messages) == 1


def test_a_failed_digest_stays_waiting_and_is_sent_once_when_due(smtp_server, official):
    user = prefer(official(DRAFTER), mode=DigestMode.DAILY)
    first = tell(user, key="a", title="Pertama")
    smtp_server.refusing = True
    assert deliveries.digests_send() == 0
    row = the_delivery(first)
    assert (row.state, row.attempts) == (DeliveryState.DIGEST, 1)
    assert row.next_attempt_at is not None and "SMTPRecipientsRefused" in row.last_error
    second = tell(user, key="b", title="Kedua")  # arrives meanwhile
    assert deliveries.digests_send() == 0 and smtp_server.messages == []  # the first still pauses

    smtp_server.refusing = False
    with later(2):
        assert deliveries.deliveries_sweep() == 1
        assert deliveries.deliveries_sweep() == 0 and deliveries.digests_send() == 0
    [message] = smtp_server.messages
    text, _html = parts(message)
    assert "Pertama" in text and "Kedua" in text
    assert {the_delivery(n).state for n in (first, second)} == {DeliveryState.SENT}


def test_a_digest_on_both_channels_is_one_mail_and_one_whatsapp_message(smtp_server, whatsapp_gateway, official):
    user = prefer(official(DRAFTER), by_whatsapp=True, mode=DigestMode.DAILY, number=NUMBER)
    for index in range(4):
        tell(user, key=str(index), title=f"Judul {index}", body="Isi " * 150)
    assert deliveries.digests_send() == 2
    assert len(smtp_server.messages) == 1
    [request] = whatsapp_gateway.requests
    text = request.json["text"]
    assert request.json["to"] == NUMBER and len(text) <= whatsapp.TEXT_LIMIT
    assert text.startswith("[Sepakat] Ringkasan harian: 4 pemberitahuan") and "1. Judul 0" in text
    assert "lainnya" in text or "4. Judul 3" in text
    assert Delivery.objects.filter(notice__recipient=user, state=DeliveryState.SENT).count() == 8
    assert deliveries.digests_send() == 0 and len(whatsapp_gateway.requests) == 1


# WhatsApp --------------------------------------------------------------------------------------------


def test_whatsapp_follows_the_gateway_contract(whatsapp_gateway, official):
    user = prefer(official(DRAFTER), by_email=False, by_whatsapp=True, number=NUMBER)
    notice = tell(user, title="Draf dikembalikan: Nota Kesepakatan Kota Banjar (2024)", body="Perbaiki pasal 2.",
                  url="/kasus/7/")

    [request] = whatsapp_gateway.requests
    assert (request.method, request.path) == ("POST", whatsapp_gateway.path)
    assert request.headers["Authorization"] == f"Bearer {whatsapp_gateway.token}"
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.headers["Idempotency-Key"].startswith("sepakat-")
    assert set(request.json) == {"to", "text"}
    assert request.json["to"] == NUMBER
    assert request.json["text"] == ("[Sepakat] Draf dikembalikan: Nota Kesepakatan Kota Banjar (2024)\n\n"
                                    f"Perbaiki pasal 2.\n\n{django_settings.SEPAKAT_BASE_URL}/kasus/7/")
    row = the_delivery(notice, Channel.WHATSAPP)
    assert (row.state, row.address, row.attempts) == (DeliveryState.SENT, NUMBER, 1)
    assert not Delivery.objects.filter(notice=notice, channel=Channel.EMAIL).exists()


def test_a_long_whatsapp_text_is_cut_to_1000_characters_keeping_the_link(whatsapp_gateway, official):
    user = prefer(official(DRAFTER), by_email=False, by_whatsapp=True, number=NUMBER)
    tell(user, title="T" * 300, body="panjang " * 400, url="/kasus/8/")
    text = whatsapp_gateway.requests[0].json["text"]
    assert len(text) <= 1000 and text.endswith(f"{django_settings.SEPAKAT_BASE_URL}/kasus/8/")
    assert "…" in text


def test_a_gateway_error_fails_the_delivery_and_the_sweep_tries_again(whatsapp_gateway, official):
    user = prefer(official(DRAFTER), by_email=False, by_whatsapp=True, number=NUMBER)
    whatsapp_gateway.status = 500
    notice = tell(user)
    row = the_delivery(notice, Channel.WHATSAPP)
    assert (row.state, row.attempts) == (DeliveryState.FAILED, 1)
    assert row.last_error.startswith("GatewayError: Gateway WhatsApp menjawab HTTP 500")
    assert whatsapp_gateway.token not in row.last_error and "127.0.0.1" not in row.last_error

    whatsapp_gateway.status = 200
    with later(2):
        assert deliveries.deliveries_sweep() == 1
    row.refresh_from_db()
    assert (row.state, row.attempts) == (DeliveryState.SENT, 2)
    keys = {r.headers["Idempotency-Key"] for r in whatsapp_gateway.requests}
    assert len(whatsapp_gateway.requests) == 2 and len(keys) == 1  # the same message, tried twice


def test_an_unreachable_gateway_fails_without_naming_its_address(settings, official):
    from .smtp_server import free_port

    settings.WHATSAPP_GATEWAY_URL = f"http://127.0.0.1:{free_port()}/v1/messages?token=rahasia-di-url"
    settings.WHATSAPP_GATEWAY_TOKEN, settings.WHATSAPP_TIMEOUT = "token-rahasia", 2
    user = prefer(official(DRAFTER), by_email=False, by_whatsapp=True, number=NUMBER)
    row = the_delivery(tell(user), Channel.WHATSAPP)
    assert row.state == DeliveryState.FAILED
    assert row.last_error == "GatewayError: Gateway WhatsApp tidak dapat dihubungi (NewConnectionError)."


def test_without_a_gateway_whatsapp_is_given_up_at_once_and_says_why(settings, official):
    settings.WHATSAPP_GATEWAY_URL = ""
    user = prefer(official(DRAFTER), by_whatsapp=True, number=NUMBER)
    notice = tell(user)
    row = the_delivery(notice, Channel.WHATSAPP)
    assert (row.state, row.attempts, row.next_attempt_at) == (DeliveryState.GIVEN_UP, 1, None)
    assert row.last_error == f"GatewayNotConfigured: {whatsapp.NOT_CONFIGURED}"
    assert the_delivery(notice, Channel.EMAIL).state == DeliveryState.SENT  # the other channel is unaffected


# The mailbox of the embedded default -----------------------------------------------------------------


@pytest.fixture
def mail_folder(settings, tmp_path):
    settings.EMAIL_BACKEND = mailbox.FILE_BACKEND
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    return settings.EMAIL_FILE_PATH


@pytest.fixture
def staff_client(client, official):
    from django.contrib.auth.models import Permission

    user = official("laip.direktur")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(Permission.objects.get(codename="view_notice"))
    client.force_login(user)
    return client


def test_staff_read_the_mails_written_to_files_as_escaped_text(mail_folder, staff_client, official):
    user = official(DRAFTER)
    tell(user, key="old", title="Lama")
    tell(user, key="new", title="Baru <script>alert(1)</script>", body="Isi <b>tebal</b>")
    names = sorted(p.name for p in mail_folder.iterdir())
    assert len(names) == 2

    page = staff_client.get(reverse("notices:mailbox"))
    content = page.content.decode()
    assert page.status_code == 200
    assert "[Sepakat] Baru &lt;script&gt;" in content and "<script>alert" not in content
    assert content.index("Baru &lt;script&gt;") < content.index("[Sepakat] Lama")  # newest first
    assert user.email in content

    newest = max(mail_folder.iterdir(), key=lambda p: (p.stat().st_mtime, p.name)).name
    shown = staff_client.get(reverse("notices:mailbox_message", args=[newest])).content.decode()
    assert "Isi &lt;b&gt;tebal&lt;/b&gt;" in shown and "<b>tebal" not in shown
    assert "<!DOCTYPE html>\n<html lang=\"id\">" not in shown and "&lt;!DOCTYPE" not in shown  # no HTML part


def test_the_mailbox_opens_only_files_listed_in_its_folder(mail_folder, staff_client, official, tmp_path):
    tell(official(DRAFTER))
    secret = tmp_path / "rahasia.txt"
    secret.write_text("Subject: rahasia\n\nkata sandi")
    (mail_folder / "tautan.log").symlink_to(secret)
    base = reverse("notices:mailbox")
    for name in ("rahasia.txt", "tautan.log", "..%2Frahasia.txt", "%2E%2E", "tidak-ada.log"):
        response = staff_client.get(f"{base}{name}/")
        assert response.status_code == 404, name
    assert "tautan.log" not in staff_client.get(base).content.decode()


def test_the_mailbox_is_for_staff_and_only_with_the_file_backend(mail_folder, as_user, staff_client, settings):
    base = reverse("notices:mailbox")
    assert as_user(DRAFTER).get(base).status_code == 403
    staff_client.force_login(get_user_model().objects.get(username="laip.direktur"))
    assert staff_client.get(base).status_code == 200  # an empty folder, not yet made: an empty list
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert staff_client.get(base).status_code == 404


def test_the_gateway_payload_is_json(whatsapp_gateway, official):
    user = prefer(official(DRAFTER), by_email=False, by_whatsapp=True, number=NUMBER)
    tell(user, title="Judul “kutip” dan émoji ✓")
    request = whatsapp_gateway.requests[0]
    assert json.loads(request.body)["text"].startswith("[Sepakat] Judul “kutip” dan émoji ✓")



def test_the_admin_lists_do_not_grow_by_a_query_per_row(official, django_user_model, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "x"))
    user = official(DRAFTER)
    counts = []
    for batch in (2, 10):  # 2 notices, then 12
        for index in range(batch):
            tell(user, key=f"{batch}-{index}")
        for name in ("admin:notices_notice_changelist", "admin:notices_delivery_changelist"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse(name)).status_code == 200
            counts.append((name, len(queries)))
    assert counts[:2] == counts[2:]
