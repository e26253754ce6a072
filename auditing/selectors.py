"""Who may audit, and the events they may read (scoped like every other query).

Auditors and administrators read the events of the regions in
permissions.selectors.regions_visible_to(user). Events without a region (logins,
certificates, the role sync of central roles) are read by national auditors and
administrators only. Every page of the audit app starts from events_visible_to().
"""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q

from agreements.models import Agency, Programme, Region, Version
from audit.actions import AuditAction
from audit.models import AuditEvent
from permissions.models import RoleAssignment
from permissions.roles import RoleKind
from permissions.selectors import regions_visible_to


def can_audit(user) -> bool:
    """Auditors (any scope) and administrators."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return RoleAssignment.objects.active().filter(user=user, role=RoleKind.AUDITOR).exists()


def reads_unscoped_events(user) -> bool:
    """National auditors and administrators: they also read the events that belong to no region."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return RoleAssignment.objects.active().filter(
        user=user, role__in=[RoleKind.AUDITOR, RoleKind.ADMINISTRATOR], agency__region__isnull=True
    ).exists()


def events_visible_to(user):
    """Every event the user may read; nothing else ever reaches an audit page or export."""
    if not can_audit(user):
        return AuditEvent.objects.none()
    scope = Q(region__in=regions_visible_to(user))
    if reads_unscoped_events(user):
        scope |= Q(region__isnull=True)
    return AuditEvent.objects.filter(scope)


def with_relations(events):
    """What a row shows, loaded with the row (no query per event)."""
    return events.select_related("actor__official", "region")


def regions_for_audit(user):
    return regions_visible_to(user) if can_audit(user) else Region.objects.none()


def agencies_for_audit(user):
    """Agencies of the auditor's regions, and the central agencies (they act in every region)."""
    return (
        Agency.objects.filter(Q(region__in=regions_for_audit(user)) | Q(region__isnull=True))
        .select_related("region")
        .order_by("region__name", "kind")
    )


def programmes_for_audit(user):
    return Programme.objects.filter(region__in=regions_for_audit(user)).select_related("region")


def processes_for_audit(user):
    from workflows.models import StageProcess

    return StageProcess.objects.filter(programme__region__in=regions_for_audit(user)).select_related(
        "programme__region", "document", "final_pdf"
    )


def programme_for_audit(user, programme_pk: int) -> Programme:
    """Raises Programme.DoesNotExist outside the user's regions."""
    return programmes_for_audit(user).get(pk=programme_pk)


def region_for_audit(user, slug: str) -> Region:
    return regions_for_audit(user).get(slug=slug)


def process_for_audit(user, process_pk: int):
    """Raises StageProcess.DoesNotExist outside the user's regions."""
    return processes_for_audit(user).get(pk=process_pk)


def official_for_audit(user, username: str):
    """The official if they belong to the auditor's scope; raises DoesNotExist otherwise.

    In scope: for national auditors everyone; for others, officials with a role (now or
    before) in an agency of the auditor's regions or in a central agency (central
    agencies act in every region), or with any event the auditor may read.
    """
    users = get_user_model().objects.select_related("official")
    if not can_audit(user):
        return users.none().get(username=username)
    if reads_unscoped_events(user):
        return users.get(username=username)
    in_scope = RoleAssignment.objects.filter(user=OuterRef("pk")).filter(
        Q(agency__region__in=regions_for_audit(user)) | Q(agency__region__isnull=True)
    )
    acted = events_visible_to(user).filter(actor=OuterRef("pk"))
    return users.filter(Exists(in_scope) | Exists(acted)).get(username=username)


def programme_events(events, programme):
    """The programme's events: its region's events about its cases or its documents' versions."""
    from workflows.models import StageProcess

    about = Q(process_id__in=StageProcess.objects.filter(programme=programme).values("pk")) | Q(
        version_id__in=Version.objects.filter(document__programme=programme).values("pk")
    )
    about |= Q(programme_id=programme.pk)
    return events.filter(about, region=programme.region_id)


def process_events(events, process):
    """The case's events: about the case, or about a version of its document."""
    about = Q(process_id=process.pk)
    if process.document_id:
        about |= Q(version_id__in=Version.objects.filter(document_id=process.document_id).values("pk"))
    return events.filter(about, region=process.programme.region_id)


def distinct_actions(events) -> list[str]:
    return list(events.order_by("action").values_list("action", flat=True).distinct())


def event_context(events: list) -> None:
    """Attach to each event the cases, programmes and versions it concerns, in three queries at most.

    Sets event.case (StageProcess or None), event.programme (Programme or None), event.version_obj.
    """
    from workflows.models import StageProcess

    process_ids = {e.process_id for e in events if e.process_id}
    version_ids = {e.version_id for e in events if e.version_id}
    programme_ids = {getattr(e, "programme_id", None) for e in events} - {None}
    versions = {}
    if version_ids:
        versions = {
            v.pk: v for v in Version.objects.filter(pk__in=version_ids).select_related("document__programme__region")
        }
    document_ids = {v.document_id for v in versions.values()}
    cases = {}
    if process_ids or document_ids:
        found = StageProcess.objects.filter(Q(pk__in=process_ids) | Q(document_id__in=document_ids)).select_related(
            "programme__region"
        )
        cases = {c.pk: c for c in found}
    case_by_document = {c.document_id: c for c in cases.values() if c.document_id}
    programmes = {c.programme_id: c.programme for c in cases.values()}
    programmes.update({v.document.programme_id: v.document.programme for v in versions.values()})
    missing = programme_ids - set(programmes)
    if missing:
        programmes.update({p.pk: p for p in Programme.objects.filter(pk__in=missing).select_related("region")})
    for event in events:
        version = versions.get(event.version_id)
        case = cases.get(event.process_id) or (case_by_document.get(version.document_id) if version else None)
        programme_id = getattr(event, "programme_id", None) or (case.programme_id if case else None) or (
            version.document.programme_id if version else None
        )
        event.version_obj = version
        event.case = case
        event.programme_obj = programmes.get(programme_id)




def action_label(action: str) -> str:
    """The Indonesian label of an action code (the code itself when it has none)."""
    try:
        return str(AuditAction(action).label)
    except ValueError:  # an action this release no longer writes: show its code
        return action


def actions_labelled(text: str) -> list[str]:
    """Action codes whose label contains the text (so a search for 'ditandatangani' finds document.signed)."""
    needle = text.strip().lower()
    return [action.value for action in AuditAction if needle and needle in str(action.label).lower()]
