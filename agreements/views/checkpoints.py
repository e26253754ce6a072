"""The public list of the audit log's signed checkpoints, as a page and as JSON, no login.

Outsiders (an inspectorate, ANRI, a journalist) keep copies; ``verify_audit --checkpoints COPY``
then finds a rewritten history even if the database's own checkpoints were removed. A checkpoint
holds hashes and counts only, nothing of the events themselves.
"""

from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import render

from audit.models import Checkpoint

from .. import checkpoints

PAGE_SIZE = 50
JSON_PAGE_SIZE = 500


def _after(request) -> int:
    try:
        return max(0, int(request.GET.get("setelah", 0)))
    except ValueError:
        return 0


@login_not_required
def checkpoint_list(request):
    page = Paginator(Checkpoint.objects.order_by("-seq").defer("signature"), PAGE_SIZE).get_page(
        request.GET.get("halaman"))
    return render(request, "agreements/checkpoints.html", {"page": page})


@login_not_required
def checkpoint_json(request):
    """Oldest first, JSON_PAGE_SIZE at a time: ``?setelah=<seq>`` continues after that checkpoint."""
    rows = list(Checkpoint.objects.filter(seq__gt=_after(request)).order_by("seq")[:JSON_PAGE_SIZE + 1])
    more = len(rows) > JSON_PAGE_SIZE
    rows = rows[:JSON_PAGE_SIZE]
    data = {
        "log": checkpoints.LOG_NAME,
        "about": "Titik periksa log audit Sepakat: payload ditandatangani segel sistem (CMS terpisah, DER, "
                 "base64) dengan cap waktu RFC 3161. Periksa: manage.py verify_audit --checkpoints BERKAS.",
        "checkpoints": [checkpoints.checkpoint_as_dict(c) for c in rows],
        "next": f"{request.path}?setelah={rows[-1].seq}" if more else None,
    }
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False})
