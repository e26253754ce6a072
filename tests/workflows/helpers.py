"""Acting through the site's own URLs, as a user's browser would."""

import io
import re

from django.urls import reverse
from pypdf import PdfReader
from viewflow.workflow import STATUS
from viewflow.workflow.models import Task


def open_task(process, step):
    return Task.objects.get(process=process, flow_task_type="HUMAN", status__in=[STATUS.NEW, STATUS.ASSIGNED],
                            flow_task=getattr(process.flow_class, step))


def task_url(task, name):
    return task.flow_task.reverse(name, args=[task.process_id, task.pk])


def claim(client, task):
    return client.post(task_url(task, "assign"), follow=False)


def decide(client, task, decision, note=""):
    """Post a decision; at a signature step the (demo) signer types their passphrase."""
    from demo.driver import DEMO_SIGNING_PASSPHRASE, ensure_credential

    task.refresh_from_db()
    spec = task.flow_task.spec
    if task.owner is not None and spec.signer is not None:
        ensure_credential(task.owner)
    data = {"decision": decision, "note": note, "passphrase": DEMO_SIGNING_PASSPHRASE}
    if spec.is_paraf or spec.signer is not None:
        data["document_sha256"] = shown_sha256(client, task)
    return client.post(task_url(task, "execute"), data)


def shown_sha256(client, task) -> str:
    """The hash of the file the step's page shows (and its form sends back), as the official opens it."""
    page = client.get(task_url(task, "execute")).content.decode()
    found = re.search(r'name="document_sha256" value="([0-9a-f]{64})"', page)
    return found.group(1) if found else ""


def draft_form(title="Sinergi Kota Cerdas", articles=(("Maksud", "Isi pasal satu."), ("Penutup", "Isi penutup."))):
    data = {
        "title": title,
        "number_ministry": "B-1/DJAI/2024",
        "number_region": "415/1/2024",
        "preamble": "Pada hari ini",
        "articles-TOTAL_FORMS": str(len(articles)),
        "articles-INITIAL_FORMS": "0",
        "articles-MIN_NUM_FORMS": "1",
        "articles-MAX_NUM_FORMS": "40",
    }
    for index, (heading, body) in enumerate(articles):
        data[f"articles-{index}-heading"] = heading
        data[f"articles-{index}-body"] = body
    return data


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_page_text(content: bytes) -> str:
    """What pdftotext (poppler) reads, form-field appearances included, whitespace collapsed."""
    import subprocess

    result = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True)
    return " ".join(result.stdout.decode().split())


def case_url(process):
    return reverse("sepakat:case_detail", kwargs={"process_pk": process.pk})


def pdf_bytes() -> bytes:
    """A valid one-page PDF, as an official's scanner would produce."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def act(as_user, username, process, step, decision, note=""):
    """Log in as `username`, claim the step's task and take the decision through the site."""
    client = as_user(username)
    task = open_task(process, step)
    assert claim(client, task).status_code == 302
    response = decide(client, task, decision, note)
    assert response.status_code == 302, response.content.decode()[:3000]
    return client
