"""The version's PDF the paraf are on: one file per version, kept by its hash.

Every paraf of a version is on the same file: the version's draft rendering as the case stood
when its paraf round began (its approval sheet lists the decisions made before the first
paraf). A paraf page shows this file's SHA-256 and offers it; the paraf decision names the
hash the official was shown and keeps it (Decision.document_sha256). The hash of the data
rendered tells whether the file kept is still the one the version would render.
"""

import hashlib

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from audit.actions import AuditAction
from audit.services import chain_lock, event_record

from .kinds import draft_moment, render_stage_pdf, snapshot_for
from .models import Decision, DecisionKind, ParafCopy, Version
from .pdf import data_sha256
from .snapshots import approvals_of, paraf_of


def paraf_data(version: Version, *, previous_stage_sha256: str = "") -> tuple[dict, object]:
    """The data of the version's paraf copy, and the moment its round began (None before the first paraf)."""
    data = snapshot_for(version, final=False, previous_stage_sha256=previous_stage_sha256)
    first = Decision.objects.filter(version=version, kind=DecisionKind.INITIALLED).order_by("created").first()
    round_began = first.created if first else None
    if round_began is not None:
        data.update(approvals=approvals_of(version.document, before=round_began),
                    paraf=paraf_of(version.document, before=round_began))
    return data, round_began


def paraf_copy(*, version: Version, previous_stage_sha256: str = "") -> ParafCopy:
    """The PDF the paraf of ``version`` are on, made and kept on first use."""
    data, round_began = paraf_data(version, previous_stage_sha256=previous_stage_sha256)
    state = data_sha256(data)
    existing = ParafCopy.objects.filter(version=version, data_sha256=state).first()
    if existing is not None:
        return existing
    moment = draft_moment(version, before=round_began)
    rendered = render_stage_pdf(version.document.kind, data, draft=True, moment=moment)
    digest = hashlib.sha256(rendered.content).hexdigest()
    copy = ParafCopy(version=version, sha256=digest, data_sha256=state, size=len(rendered.content))
    copy.file.save(f"{version.document.identifier}-v{version.number}-paraf-{digest[:12]}.pdf",
                   ContentFile(rendered.content), save=False)
    try:
        with transaction.atomic():
            chain_lock()  # before the insert's index entry and version lock: one lock order
            copy.save()
            event_record(actor=None, action=AuditAction.DOCUMENT_PARAF_COPY_MADE,
                         region=version.document.programme.region, version=version,
                         details={"sha256": digest, "size": copy.size, "data_sha256": state})
    except IntegrityError:  # made at the same moment by another request: the same bytes
        copy.file.delete(save=False)
        return ParafCopy.objects.get(sha256=digest)
    return copy
