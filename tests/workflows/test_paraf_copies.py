"""Issue 11.4: an official initials and signs the file the page showed them, and nothing else.

The paraf steps are read from the stage tables, so a paraf step added to a flow is checked here.
"""

import hashlib
import re

import pytest
from django.urls import reverse

from agreements import logos
from agreements.models import Decision, DecisionKind, ParafCopy, StoredPdf
from demo import driver
from permissions.steps import STEPS
from workflows import messages, services
from workflows.models import STAGE_ORDER, Stage

from ..agreements.test_logos import png
from .helpers import claim, open_task, pdf_page_text, shown_sha256, task_url

pytestmark = pytest.mark.django_db

REGION = "kota-banjar"
SHOWN = re.compile(r'name="document_sha256" value="([0-9a-f]{64})"')


def paraf_steps(stage: str) -> list[str]:
    return [name for name, spec in STEPS[stage].items() if spec.is_paraf]


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def open_step(as_user, process, step):
    task = open_task(process, step)
    client = as_user(driver.holder_of(task).username)
    assert claim(client, task).status_code == 302
    return client, task


@pytest.mark.parametrize("stage", [stage for stage in STAGE_ORDER if paraf_steps(stage)])
def test_every_paraf_is_on_the_file_its_page_offers_and_the_final_document_names_it(as_user, programme, stage):
    steps = paraf_steps(stage)
    process = driver.run_programme(programme(REGION), stop_stage=stage, stop_step=steps[0])[-1]
    version = process.document.latest_version()
    before_any = body(as_user(driver.holder_of(open_task(process, steps[0])).username).get(
        reverse("sepakat:version_pdf", args=[process.pk, version.number])))
    seen = set()
    for step in steps:
        client, task = open_step(as_user, process, step)
        page = client.get(task_url(task, "execute")).content.decode()
        sha = SHOWN.search(page).group(1)
        assert f'<code class="sp-hash">{sha}</code>' in page  # shown to the official, and sent back by the form
        link = reverse("sepakat:decided_file", args=[process.pk, sha])
        assert f'href="{link}"' in page
        content = body(client.get(link))
        assert hashlib.sha256(content).hexdigest() == sha
        assert "DRAF" in pdf_page_text(content) and version.title in pdf_page_text(content)
        response = client.post(task_url(task, "execute"), {"decision": DecisionKind.INITIALLED, "document_sha256": sha})
        assert response.status_code == 302, response.content.decode()[:2000]
        decision = Decision.objects.get(process=process, step=step)
        assert decision.document_sha256 == sha
        seen.add(sha)
    # One file for the whole round: what the version's draft was before the first paraf, byte for byte.
    assert seen == {hashlib.sha256(before_any).hexdigest()}
    assert ParafCopy.objects.filter(version=version).count() == 1

    # The case's history links each paraf to its file; the final document's paraf table names it.
    history = client.get(reverse("sepakat:case_detail", args=[process.pk])).content.decode()
    assert history.count(f'href="{reverse("sepakat:decided_file", args=[process.pk, sha])}"') == len(steps)
    driver.advance(process)
    process.refresh_from_db()
    final_text = "".join(pdf_page_text(process.final_pdf.file.read()).split())
    assert final_text.count(sha) == len(steps)


def test_a_paraf_on_a_file_the_case_no_longer_renders_is_refused(as_user, programme):
    process = driver.run_programme(programme(REGION), stop_stage=Stage.MOU, stop_step="paraf_laip")[0]
    client, task = open_step(as_user, process, "paraf_laip")
    shown = shown_sha256(client, task)
    # Between reading and deciding, an administrator gives the region its logo: the file would change.
    logos.logo_set(region=process.programme.region, content=png(), actor=None)
    response = client.post(task_url(task, "execute"), {"decision": DecisionKind.INITIALLED, "document_sha256": shown})
    assert response.status_code == 200
    assert str(messages.DOCUMENT_CHANGED) in response.content.decode()
    assert not Decision.objects.filter(process=process, step="paraf_laip").exists()
    # Opened again, the page offers the new file, and the paraf is on it.
    fresh = shown_sha256(client, task)
    assert fresh != shown
    response = client.post(task_url(task, "execute"), {"decision": DecisionKind.INITIALLED, "document_sha256": fresh})
    assert response.status_code == 302
    assert Decision.objects.get(process=process, step="paraf_laip").document_sha256 == fresh


def test_a_paraf_without_the_file_read_is_refused_at_the_service(programme):
    process = driver.run_programme(programme(REGION), stop_stage=Stage.MOU, stop_step="paraf_laip")[0]
    task = open_task(process, "paraf_laip")
    user = driver.holder_of(task)
    driver.claim(task, user)
    for sent, refusal in [("", messages.DOCUMENT_NOT_READ), ("0" * 64, messages.DOCUMENT_CHANGED)]:
        with pytest.raises(services.StepError, match=re.escape(str(refusal))), services.acting_on(task) as activation:
            services.task_begin(activation=activation, user=user)
            services.step_decide(activation=activation, user=user, kind=DecisionKind.INITIALLED, document_sha256=sent)
    assert not Decision.objects.filter(process=process, step="paraf_laip").exists()


def test_a_signer_who_read_an_earlier_revision_signs_nothing(as_user, programme):
    process = driver.run_programme(programme(REGION), stop_stage=Stage.MOU, stop_step="sign_ministry")[0]
    first = StoredPdf.objects.get(document=process.document, revision=0)
    client, task = open_step(as_user, process, "sign_ministry")
    driver.ensure_credential(task.owner or driver.holder_of(task))
    current = shown_sha256(client, task)
    assert current != first.sha256  # the region's signature is on it
    response = client.post(task_url(task, "execute"), {"decision": DecisionKind.SIGNED, "document_sha256": first.sha256,
                                                       "passphrase": driver.DEMO_SIGNING_PASSPHRASE})
    assert response.status_code == 200
    assert str(messages.DOCUMENT_CHANGED) in response.content.decode()
    assert not StoredPdf.objects.filter(document=process.document, revision=2).exists()
    response = client.post(task_url(task, "execute"), {"decision": DecisionKind.SIGNED, "document_sha256": current,
                                                       "passphrase": driver.DEMO_SIGNING_PASSPHRASE})
    assert response.status_code == 302
    assert Decision.objects.get(process=process, step="sign_ministry").document_sha256 == current


def test_a_decided_file_is_served_only_within_its_case(as_user, programme):
    process = driver.run_programme(programme(REGION), stop_stage=Stage.MOU, stop_step="paraf_sekda")[0]
    sha = Decision.objects.get(process=process, step="paraf_laip").document_sha256
    link = reverse("sepakat:decided_file", args=[process.pk, sha])
    assert as_user(f"{REGION}.kominfo").get(link).status_code == 200
    assert as_user("kota-solok.kominfo").get(link).status_code == 404  # another region's official
    other = driver.run_programme(programme("kota-solok"), stop_stage=Stage.MOU, stop_step="review_diskominfo")[0]
    assert as_user("kota-solok.kominfo").get(
        reverse("sepakat:decided_file", args=[other.pk, sha])).status_code == 404  # not that case's file
    assert as_user(f"{REGION}.kominfo").get(
        reverse("sepakat:decided_file", args=[process.pk, "x" * 64])).status_code == 404
