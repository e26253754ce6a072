"""The notification centre: the bell on every page, one's own notices only, and one's own settings."""

import datetime
import itertools

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.actions import AuditAction
from audit.models import AuditEvent
from notices.forms import WHATSAPP_NUMBER_NEEDED
from notices.models import DigestMode, Notice, NoticeKind, NoticePreference
from permissions.models import WHATSAPP_NUMBER

pytestmark = pytest.mark.django_db

BANJAR = "kota-banjar.kominfo"
SOLOK = "kota-solok.kominfo"
_keys = itertools.count()


@pytest.fixture
def notice(official):
    """notice(username, title=..., ...) -> a notice for that official, as the event receivers make them."""

    def make(username, title="Tugas baru: 1.2 Telaah Diskominfo", *, body="Kasus menunggu tindakan.", url="/",
             read=False, created=None):
        return Notice.objects.create(
            recipient=official(username), kind=NoticeKind.TASK_CREATED, title=title, body=body, url=url,
            key=f"test:{next(_keys)}", created=created or timezone.now(),
            read_at=timezone.now() if read else None)

    return make


def bell_label(count: int) -> str:
    return f'aria-label="Pemberitahuan, {count} belum dibaca"'


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


# The bell -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sepakat:index", "workflow:inbox", "workflow:queue", "workflow:archive",
                                  "sepakat:step_roles", "notices:list", "notices:settings"])
def test_the_bell_counts_the_users_unread_notices_on_every_page(as_user, notice, name):
    notice(BANJAR, "Satu")
    notice(BANJAR, "Dua")
    notice(BANJAR, "Sudah dibaca", read=True)
    notice(SOLOK, "Milik Kota Solok")

    html = page(as_user(BANJAR), reverse(name))

    assert bell_label(2) in html
    assert f'href="{reverse("notices:list")}"' in html
    assert 'class="sp-bell__count" aria-hidden="true">2<' in html


def test_with_nothing_unread_the_bell_says_so_without_a_number(as_user, notice):
    notice(BANJAR, read=True)
    html = page(as_user(BANJAR), reverse("workflow:inbox"))
    assert bell_label(0) in html
    assert "sp-bell__count" not in html


def test_the_login_page_has_no_bell(client):
    html = page(client, reverse("login"))
    assert "sp-bell" not in html


# The list -----------------------------------------------------------------------------------------------


def test_the_list_shows_only_ones_own_notices_newest_first_unread_highlighted(as_user, notice):
    now = timezone.now()
    older = notice(BANJAR, "Lama", created=now - datetime.timedelta(hours=2), read=True)
    newer = notice(BANJAR, "Baru saja", created=now)
    notice(SOLOK, "Rahasia Kota Solok")

    html = page(as_user(BANJAR), reverse("notices:list"))

    assert "Rahasia Kota Solok" not in html
    assert html.index("Baru saja") < html.index("Lama")
    assert f'class="sp-notice sp-notice--unread" id="notice-{newer.pk}"' in html
    assert f'class="sp-notice" id="notice-{older.pk}"' in html
    assert reverse("notices:settings") in html


def test_a_notice_shows_its_body_escaped_with_its_line_breaks_and_its_time_in_wib(as_user, notice):
    notice(BANJAR, body="Catatan: <b>Pasal 2</b> & lampiran\nbaris kedua",
           created=datetime.datetime(2024, 3, 1, 2, 30, tzinfo=datetime.UTC))

    html = page(as_user(BANJAR), reverse("notices:list"))

    assert "Catatan: &lt;b&gt;Pasal 2&lt;/b&gt; &amp; lampiran<br>baris kedua" in html
    assert "<b>Pasal 2</b>" not in html
    assert "01-03-2024 09:30 WIB" in html


def test_unread_only(as_user, notice):
    notice(BANJAR, "Belum dibaca")
    notice(BANJAR, "Sudah dibaca", read=True)

    html = page(as_user(BANJAR), reverse("notices:list") + "?belum=1")

    assert "Belum dibaca" in html and "Sudah dibaca" not in html


def test_the_list_has_pages_of_25(as_user, notice):
    start = timezone.now()
    for number in range(30):
        notice(BANJAR, f"Pemberitahuan nomor {number:02d}", created=start + datetime.timedelta(minutes=number))
    client = as_user(BANJAR)

    first = client.get(reverse("notices:list"))
    second = client.get(reverse("notices:list") + "?page=2")

    assert len(first.context["notices"]) == 25 and len(second.context["notices"]) == 5
    assert "nomor 29" in first.content.decode() and "nomor 04" not in first.content.decode()
    assert "nomor 04" in second.content.decode()
    assert "Halaman 1 dari 2" in first.content.decode()


def test_with_no_notices_the_list_says_so(as_user):
    assert "Belum ada pemberitahuan untuk Anda." in page(as_user(BANJAR), reverse("notices:list"))


# Opening and marking read -------------------------------------------------------------------------------


def test_opening_a_notice_marks_it_read_and_goes_to_its_page(as_user, notice):
    case_page = notice(BANJAR, url="/kasus/7/")
    client = as_user(BANJAR)

    response = client.get(reverse("notices:open", args=[case_page.pk]))

    assert response.status_code == 302 and response["Location"] == "/kasus/7/"
    case_page.refresh_from_db()
    assert case_page.read_at is not None
    assert bell_label(0) in page(client, reverse("notices:list"))


@pytest.mark.parametrize("url", ["https://evil.example/kasus/7/", "//evil.example/kasus/7/", "/\\evil.example",
                                 "javascript:alert(1)", "kasus/7/", ""])
def test_a_notice_never_sends_anyone_off_the_site(as_user, notice, url):
    elsewhere = notice(BANJAR, url=url)

    response = as_user(BANJAR).get(reverse("notices:open", args=[elsewhere.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("notices:list")
    elsewhere.refresh_from_db()
    assert elsewhere.read_at is not None


def test_mark_one_read_then_all_read(as_user, notice):
    first, second, third = notice(BANJAR, "A"), notice(BANJAR, "B"), notice(BANJAR, "C")
    theirs = notice(SOLOK, "Milik Kota Solok")
    client = as_user(BANJAR)

    assert client.get(reverse("notices:mark_read", args=[first.pk])).status_code == 405  # a change is a POST
    response = client.post(reverse("notices:mark_read", args=[first.pk]), {"next": reverse("notices:list") + "?page=1"})
    assert response.status_code == 302 and response["Location"] == reverse("notices:list") + "?page=1"
    assert Notice.objects.filter(recipient__username=BANJAR, read_at__isnull=True).count() == 2

    response = client.post(reverse("notices:mark_all_read"), {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("notices:list")
    assert not Notice.objects.filter(pk__in=[first.pk, second.pk, third.pk], read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None  # "all" is all of one's own


def test_marking_read_needs_the_csrf_token(official, notice):
    mine = notice(BANJAR)
    client = Client(enforce_csrf_checks=True)
    client.force_login(official(BANJAR))

    assert client.post(reverse("notices:mark_read", args=[mine.pk])).status_code == 403
    assert client.post(reverse("notices:mark_all_read")).status_code == 403
    mine.refresh_from_db()
    assert mine.read_at is None


def test_another_officials_notice_is_a_404_and_stays_unread(as_user, notice):
    theirs = notice(SOLOK, url="/kasus/9/")
    client = as_user(BANJAR)

    assert client.get(reverse("notices:open", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notices:mark_read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_an_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(reverse("notices:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# Settings -----------------------------------------------------------------------------------------------


def settings_post(client, **data):
    form = {"by_email": "on", "whatsapp_number": "", "mode": DigestMode.IMMEDIATE, **data}
    return client.post(reverse("notices:settings"), {k: v for k, v in form.items() if v is not None})


def without_email(user):
    user.email = ""
    user.save(update_fields=["email"])
    return user


def test_settings_show_the_accounts_email_address_or_that_there_is_none(as_user, official):
    user = without_email(official(BANJAR))
    html = page(as_user(BANJAR), reverse("notices:settings"))
    assert "Akun Anda belum memiliki alamat surel" in html
    assert 'name="by_email" disabled' in html

    user.email = "kominfo@banjarkota.go.id"
    user.save(update_fields=["email"])
    html = page(as_user(BANJAR), reverse("notices:settings"))
    assert "Dikirim ke kominfo@banjarkota.go.id." in html
    assert "Akun Anda belum memiliki alamat surel" not in html


def test_saving_the_settings_records_what_changed(as_user, official):
    user = official(BANJAR)
    user.email = "kominfo@banjarkota.go.id"
    user.save(update_fields=["email"])
    client = as_user(BANJAR)

    response = settings_post(client, by_email=None, by_whatsapp="on", whatsapp_number="0812-3456-7890",
                             mode=DigestMode.DAILY)

    assert response.status_code == 302 and response["Location"] == reverse("notices:settings")
    preference = NoticePreference.objects.get(user=user)
    assert (preference.by_email, preference.by_whatsapp, preference.mode) == (False, True, DigestMode.DAILY)
    user.official.refresh_from_db()
    assert user.official.whatsapp_number == "+6281234567890"  # typed the local way, kept in the +62 form
    event = AuditEvent.objects.filter(action=AuditAction.NOTICE_SETTINGS_CHANGED, actor=user).get()
    assert event.details["new"] == {"by_email": False, "by_whatsapp": True, "mode": DigestMode.DAILY,
                                    "whatsapp_number": "…890"}
    assert "+6281234567890" not in str(event.details)  # the log shows that the number changed, not which it is
    html = page(client, reverse("notices:settings"))
    assert 'value="+6281234567890"' in html


@pytest.mark.parametrize("number", ["+6212345", "+1 202 555 0143", "+620812345678", "+62812345678901234",
                                    "nomor saya", "+62-812-abc"])
def test_a_number_that_is_not_an_indonesian_whatsapp_number_is_refused(as_user, official, number):
    client = as_user(BANJAR)

    response = settings_post(client, by_whatsapp="on", whatsapp_number=number)

    assert response.status_code == 200
    assert str(WHATSAPP_NUMBER.message) in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert not NoticePreference.objects.filter(user=official(BANJAR)).exists()
    assert official(BANJAR).official.whatsapp_number == ""
    assert not AuditEvent.objects.filter(action=AuditAction.NOTICE_SETTINGS_CHANGED).exists()


def test_whatsapp_without_a_number_is_refused(as_user, official):
    response = settings_post(as_user(BANJAR), by_whatsapp="on", whatsapp_number="")

    assert response.status_code == 200
    assert str(WHATSAPP_NUMBER_NEEDED) in response.content.decode()
    assert not NoticePreference.objects.filter(user=official(BANJAR)).exists()


def test_e_mail_cannot_be_chosen_without_an_address(as_user, official):
    without_email(official(BANJAR))
    settings_post(as_user(BANJAR), by_email="on", by_whatsapp="on", whatsapp_number="+6281234567890")
    preference = NoticePreference.objects.get(user=official(BANJAR))
    assert preference.by_email is False and preference.by_whatsapp is True


def test_saving_the_same_settings_again_records_nothing(as_user, official):
    client = as_user(BANJAR)
    settings_post(client, by_whatsapp="on", whatsapp_number="+6281234567890")
    settings_post(client, by_whatsapp="on", whatsapp_number="+6281234567890")
    assert AuditEvent.objects.filter(action=AuditAction.NOTICE_SETTINGS_CHANGED).count() == 1
