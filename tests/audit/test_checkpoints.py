"""Signed, timestamped checkpoints of the audit chain: a rewrite with every hash recomputed is found
without an old head kept by hand, and outsiders' copies find a deleted checkpoint too.

The attack of issue 12: with database access, events were rewritten from the middle to the end
(notes changed, every hash recomputed with the documented formula, triggers dropped and restored).
"""

import io
import json

import pytest
from asn1crypto import cms
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from pypdf import PdfReader

from agreements.checkpoints import LOG_NAME, checkpoint_make, checkpoint_problem, payload_of
from agreements.signing.backends.held_keys import LOCAL_TSA_POLICY_OID
from audit import merkle
from audit.actions import AuditAction
from audit.models import AuditEvent, Checkpoint
from audit.services import GENESIS_HASH, event_hash, event_payload, event_record
from demo import driver
from tests.audit.test_chain import past_the_triggers, sql
from workflows.models import Stage, StageProcess

pytestmark = pytest.mark.django_db

BANJAR = "kota-banjar"


def verify(*args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=io.StringIO())
    except CommandError as failure:
        return failure.returncode, out.getvalue() + str(failure)
    return 0, out.getvalue()


@pytest.fixture
def mou(programme):
    driver.run_programme(programme(BANJAR), only_stage=Stage.MOU)
    return StageProcess.objects.get(programme=programme(BANJAR), stage=Stage.MOU)


def rewrite_from(seq: int) -> int:
    """Change the note of every event from ``seq`` on that has details, recompute every hash from there
    (the documented formula), as a database holder with the triggers off would. Returns how many changed."""
    events = list(AuditEvent.objects.filter(pk__gte=seq).order_by("pk"))
    previous = AuditEvent.objects.filter(pk__lt=seq).order_by("-pk").values_list("hash", flat=True).first()
    previous = previous or GENESIS_HASH
    changed = 0
    for event in events:
        if event.details:
            event.details = {**event.details, "note": "ditulis ulang"}
            changed += 1
        event.prev_hash = previous
        event.hash = event_hash(previous, event_payload(event))
        previous = event.hash
        sql("UPDATE audit_auditevent SET details = %s, prev_hash = %s, hash = %s WHERE id = %s",
            json.dumps(event.details), event.prev_hash, event.hash, event.pk)
    return changed


def test_a_stage_close_and_its_rendering_are_sealed_timestamped_and_carried_by_the_final_pdf(mou):
    made = list(Checkpoint.objects.order_by("seq"))
    reasons = [c.reason for c in made]
    assert "tahap selesai" in reasons and "dokumen disiapkan untuk ditandatangani" in reasons
    for checkpoint in made:
        assert checkpoint_problem(checkpoint) == ""
        head = AuditEvent.objects.get(pk=checkpoint.seq)
        assert checkpoint.head_hash == head.hash
        assert checkpoint.count == AuditEvent.objects.filter(pk__lte=checkpoint.seq).count()
        hashes = AuditEvent.objects.filter(pk__lte=checkpoint.seq).order_by("pk").values_list("hash", flat=True)
        assert checkpoint.merkle_root == merkle.root_of(hashes)[0]
        assert checkpoint.timestamp_time is not None
        token = cms.ContentInfo.load(bytes(checkpoint.signature))["content"]["signer_infos"][0]["unsigned_attrs"][0]
        tst_info = token["values"][0]["content"]["encap_content_info"]["content"].parsed
        assert tst_info["policy"].native == LOCAL_TSA_POLICY_OID
    # The close's checkpoint covers the close itself.
    closed = AuditEvent.objects.filter(action=AuditAction.CASE_COMPLETED, process_id=mou.pk).get()
    assert Checkpoint.objects.filter(reason="tahap selesai", seq__gte=closed.pk).exists()
    # The final PDF's embedded data carries the checkpoint made when it was rendered for its signers.
    with mou.final_pdf.file.open("rb") as fh:
        data = json.loads(PdfReader(fh).attachments["sepakat-data.json"][0])
    carried = data["audit_checkpoint"]
    kept = Checkpoint.objects.get(seq=carried["seq"])
    assert (carried["head_hash"], carried["count"]) == (kept.head_hash, kept.count)
    code, output = verify()
    assert code == 0, output
    assert f"Titik periksa bertanda tangan yang sah: {len(made)}." in output


def test_a_rewrite_from_the_middle_with_every_hash_recomputed_fails_because_of_a_checkpoint(mou):
    latest = Checkpoint.objects.order_by("-seq").first()
    middle = latest.seq // 2
    with past_the_triggers():
        assert rewrite_from(middle) > 10
        # Link by link the forged chain is intact: only the checkpoint sees it.
        from audit.services import chain_check

        assert chain_check().intact
        code, output = verify()
        assert code == 1
        assert "tidak cocok dengan titik periksa bertanda tangan" in output
        assert "telah ditulis ulang" in output


def test_a_forged_or_altered_checkpoint_is_reported_not_trusted(mou):
    latest = Checkpoint.objects.order_by("-seq").first()
    with past_the_triggers():
        sql("ALTER TABLE audit_checkpoint DISABLE TRIGGER USER" if connection.vendor == "postgresql"
            else "DROP TRIGGER audit_checkpoint_no_update")
        forged_head = "f" * 64
        sql("UPDATE audit_checkpoint SET head_hash = %s, payload = %s WHERE id = %s", forged_head,
            payload_of(seq=latest.seq, head_hash=forged_head, count=latest.count,
                       merkle_root=latest.merkle_root, time=latest.created), latest.pk)
        code, output = verify()
        assert code == 1
        assert f"Titik periksa #{latest.seq}" in output and "tanda tangan segel tidak sah" in output


def test_a_deleted_checkpoint_is_still_found_by_an_outsiders_copy_of_the_public_list(mou, client, tmp_path):
    copy = tmp_path / "salinan.json"
    copy.write_bytes(client.get(reverse("checkpoints_json")).content)
    latest = Checkpoint.objects.order_by("-seq").first()
    with past_the_triggers():
        sql("ALTER TABLE audit_checkpoint DISABLE TRIGGER USER" if connection.vendor == "postgresql"
            else "DROP TRIGGER audit_checkpoint_no_delete")
        sql("DELETE FROM audit_checkpoint")
        rewrite_from(latest.seq // 2)
        assert verify()[0] == 0  # the database's own evidence is gone...
        code, output = verify("--checkpoints", str(copy))
        assert code == 1 and "telah ditulis ulang" in output  # ...the copy outside still has it


def test_events_cut_from_the_end_past_a_checkpoint_are_found(mou):
    latest = Checkpoint.objects.order_by("-seq").first()
    with past_the_triggers():
        sql("DELETE FROM audit_auditevent WHERE id >= %s", latest.seq)
        code, output = verify()
        assert code == 1 and f"peristiwa #{latest.seq}, yang tidak ada lagi di rantai" in output


def test_checkpoints_cannot_be_changed_or_removed(mou):
    latest = Checkpoint.objects.order_by("-seq").first()
    for statement in (lambda: Checkpoint.objects.filter(pk=latest.pk).update(head_hash="0" * 64),
                      lambda: Checkpoint.objects.filter(pk=latest.pk).delete()):
        with pytest.raises(IntegrityError) as error, transaction.atomic():
            statement()
        assert "append-only" in str(error.value)


def test_a_checkpoint_carries_on_from_the_last_ones_frontier_only_when_it_matches_the_signed_root(mou, official,
                                                                                               caplog):
    from agreements.checkpoints import _tree_so_far

    latest = Checkpoint.objects.order_by("-seq").first()
    tree, after = _tree_so_far()
    assert after == latest.seq and tree.root() == latest.merkle_root
    with past_the_triggers():
        sql("ALTER TABLE audit_checkpoint DISABLE TRIGGER USER" if connection.vendor == "postgresql"
            else "DROP TRIGGER audit_checkpoint_no_update")
        sql("UPDATE audit_checkpoint SET frontier = %s WHERE id = %s", json.dumps([[0, "00" * 32]]), latest.pk)
        tree, after = _tree_so_far()
        assert after == 0 and tree.size == 0  # not trusted: the next checkpoint walks every event
        event_record(actor=official("kota-banjar.kominfo"), action=AuditAction.ROLE_CHANGED, details={"i": 2})
        made = checkpoint_make(reason="uji")
        hashes = AuditEvent.objects.filter(pk__lte=made.seq).order_by("pk").values_list("hash", flat=True)
        assert made.merkle_root == merkle.root_of(hashes)[0]


def test_one_checkpoint_per_head_and_a_new_one_after_new_events(mou, official):
    before = Checkpoint.objects.count()
    again = checkpoint_make(reason="uji")
    assert Checkpoint.objects.count() == before and again.seq == Checkpoint.objects.order_by("-seq").first().seq
    event_record(actor=official("kota-banjar.kominfo"), action=AuditAction.ROLE_CHANGED, details={"i": 1})
    out = io.StringIO()
    call_command("audit_checkpoint", stdout=out)
    assert Checkpoint.objects.count() == before + 1 and "Titik periksa #" in out.getvalue()


def test_the_public_list_and_its_json_need_no_login_and_page_through(mou, client):
    page = client.get(reverse("checkpoints"))
    assert page.status_code == 200
    latest = Checkpoint.objects.order_by("-seq").first()
    assert latest.head_hash in page.content.decode()
    data = client.get(reverse("checkpoints_json")).json()
    assert data["log"] == LOG_NAME and data["next"] is None
    rows = data["checkpoints"]
    assert [r["seq"] for r in rows] == sorted(Checkpoint.objects.values_list("seq", flat=True))
    assert rows[-1]["head_hash"] == latest.head_hash and rows[-1]["signature"]
    after = client.get(reverse("checkpoints_json"), {"setelah": rows[0]["seq"]}).json()["checkpoints"]
    assert [r["seq"] for r in after] == [r["seq"] for r in rows[1:]]
    assert client.get(reverse("checkpoints_json"), {"setelah": "bukan-angka"}).status_code == 200
