"""The auditor's pages: timelines (all, per programme, case, region, official), exports and bundles.

Every query starts from selectors.events_visible_to(user); an object outside the
auditor's regions answers 404. Auditors read and export; they change nothing.
"""

import datetime
import json

from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Sum
from django.http import FileResponse, Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import generic

from agreements.models import Decision, StoredPdf
from agreements.views.missing_file import AnswersMissingFile
from audit.actions import AuditAction
from audit.services import event_record
from permissions.selectors import regions_visible_to

from . import bundle, selectors
from .filters import EventFilter

PAGE_SIZE = 50
ORDER_PARAM = "order"
OLDEST_FIRST = "oldest"
BEFORE_PARAM = "before"  # keyset cursors: the page of events before (older than) or after (newer than) an event
AFTER_PARAM = "after"
PROGRAMMES_LISTED = 20  # the newest programmes on the auditor's first page; the region filter finds the others


def _cursor(value) -> int | None:
    """A cursor from the query string: a sequence number, else none (the first page)."""
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 19 else None


def _record(*, user, action: str, region=None, programme=None, details: dict) -> None:
    """Record the auditor's own act."""
    with transaction.atomic():
        event_record(actor=user, action=action, region=region, programme=programme, details=details)


DETAIL_LABELS = {
    "step": gettext_lazy("langkah"), "title": gettext_lazy("judul"), "decision": gettext_lazy("keputusan"),
    "note": gettext_lazy("catatan"), "reason": gettext_lazy("alasan"), "from_user": gettext_lazy("dari"),
    "to_user": gettext_lazy("kepada"), "file": gettext_lazy("berkas"), "size": gettext_lazy("ukuran"),
    "revision": gettext_lazy("revisi"), "field": gettext_lazy("kolom tanda tangan"),
    "certificate": gettext_lazy("sertifikat"), "parent_sha256": gettext_lazy("SHA-256 revisi sebelumnya"),
    "username": gettext_lazy("nama pengguna"), "locked": gettext_lazy("dikunci"), "stage": gettext_lazy("tahap"),
    "document": gettext_lazy("dokumen"), "role": gettext_lazy("peran"), "agency": gettext_lazy("instansi"),
    "user": gettext_lazy("pengguna"), "delegator": gettext_lazy("pemberi delegasi"),
    "delegate": gettext_lazy("penerima delegasi"), "kind": gettext_lazy("jenis"),
    "valid_from": gettext_lazy("berlaku mulai"), "valid_until": gettext_lazy("berlaku sampai"),
    "permissions": gettext_lazy("izin"), "format": gettext_lazy("format"), "filter": gettext_lazy("filter"),
    "events": gettext_lazy("jumlah peristiwa"), "genuine": gettext_lazy("asli"), "how": gettext_lazy("cara"),
    "problems": gettext_lazy("masalah"), "programme": gettext_lazy("program"),
    "assignment": gettext_lazy("penugasan"), "name": gettext_lazy("nama"), "post": gettext_lazy("jabatan"),
    "full_name": gettext_lazy("nama lengkap"), "nip": gettext_lazy("NIP"), "via": gettext_lazy("melalui"),
    "route": gettext_lazy("rute"), "status": gettext_lazy("status"), "path": gettext_lazy("alamat"),
    "method": gettext_lazy("metode"), "hour": gettext_lazy("jam"), "new_task": gettext_lazy("tugas baru"),
    "password_usable": gettext_lazy("dapat masuk dengan kata sandi"), "is_active": gettext_lazy("aktif"),
    "is_staff": gettext_lazy("akses admin"), "is_superuser": gettext_lazy("superuser"),
    "delegation": gettext_lazy("delegasi"), "group": gettext_lazy("grup"),
}


def _value_text(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def detail_rows(details: dict) -> list[dict]:
    """The event's details as rows: changed values as old → new, the rest as key: value."""
    if not isinstance(details, dict):
        return [{"key": "", "label": "", "value": _value_text(details)}]
    rows = []
    old, new = details.get("old"), details.get("new")
    paired = isinstance(old, dict | type(None)) and isinstance(new, dict | type(None)) and (old or new)
    if paired:
        old, new = old or {}, new or {}
        for key in dict.fromkeys([*old, *new]):
            rows.append({"key": key, "label": _key_label(key), "old": _value_text(old.get(key)),
                         "new": _value_text(new.get(key)), "changed": True})
    for key, value in details.items():
        if paired and key in ("old", "new"):
            continue
        rows.append({"key": key, "label": _key_label(key), "value": _value_text(value)})
    return rows


def _key_label(key: str) -> str:
    label = DETAIL_LABELS.get(key)
    return str(label) if label else key


class TimelineView(generic.TemplateView):
    """Events newest (or oldest) first, filtered, searched and paginated; `scope` narrows to one subject."""

    template_name = "auditing/timeline.html"
    scope = None  # None | "programme" | "process" | "region" | "official"

    def _subject(self, events):
        """(events of the subject, context about it, extra export parameters); 404 outside the user's scope."""
        user = self.request.user
        try:
            if self.scope == "programme":
                programme = selectors.programme_for_audit(user, self.kwargs["programme_pk"])
                return (selectors.programme_events(events, programme),
                        {"programme": programme, "heading": str(programme)}, {"programme": programme.pk})
            if self.scope == "process":
                case = selectors.process_for_audit(user, self.kwargs["process_pk"])
                return (selectors.process_events(events, case),
                        {"case": case, "heading": f"{case.get_stage_display()} — {case.programme.region} "
                                                  f"{case.programme.year}", **self._documents(case)},
                        {"process": case.pk})
            if self.scope == "region":
                region = selectors.region_for_audit(user, self.kwargs["region"])
                return events.filter(region=region), {"region": region, "heading": str(region)}, {"region": region.slug}
            if self.scope == "official":
                person = selectors.official_for_audit(user, self.kwargs["username"])
                official = getattr(person, "official", None)
                heading = f"{official.full_name} ({official.post})" if official else person.get_username()
                return (events.filter(actor=person), {"person": person, "heading": heading},
                        {"official": person.get_username()})
        except ObjectDoesNotExist as missing:
            raise Http404 from missing
        return events, {"heading": _("Jejak audit")}, {}

    def _programmes(self, filterset) -> dict:
        """The first page's list of programmes and their bundles: the newest, or those of the filtered region."""
        programmes = selectors.programmes_for_audit(self.request.user)
        region = filterset.form.cleaned_data.get("region") if filterset.is_bound and filterset.is_valid() else None
        if region is not None:
            programmes = programmes.filter(region=region)
        listed = list(programmes.order_by("-year", "region__kind", "region__name", "pk")[: PROGRAMMES_LISTED + 1])
        return {"programmes": listed[:PROGRAMMES_LISTED], "more_programmes": len(listed) > PROGRAMMES_LISTED,
                "programmes_region": region}

    def _documents(self, case) -> dict:
        """Every version of the case's document with its notes, PDFs and the signatures on stored revisions."""
        if case.document_id is None:
            return {"versions": []}
        versions = list(case.document.versions.select_related("author__official").order_by("number"))
        by_version = {v.pk: v for v in versions}
        for version in versions:
            version.notes, version.revisions = [], []
        for decision in Decision.objects.filter(version__document_id=case.document_id).order_by("created", "pk"):
            by_version[decision.version_id].notes.append(decision)
        stored = StoredPdf.objects.filter(document_id=case.document_id).prefetch_related("signature_records") \
            .order_by("revision")
        for revision in stored:
            by_version[revision.version_id].revisions.append(revision)
        return {"versions": versions}

    def get_context_data(self, **kwargs):
        request = self.request
        events, subject, export_params = self._subject(selectors.events_visible_to(request.user))
        filterset = EventFilter(request.GET or None, queryset=events, request=request)
        # Invalid filters (e.g. another region's slug) show the errors and no events, never the unfiltered list.
        listed = events.none() if filterset.is_bound and not filterset.is_valid() else filterset.qs
        oldest_first = request.GET.get(ORDER_PARAM) == OLDEST_FIRST
        page = selectors.event_page(selectors.with_relations(listed), before=_cursor(request.GET.get(BEFORE_PARAM)),
                                    after=_cursor(request.GET.get(AFTER_PARAM)), oldest_first=oldest_first,
                                    size=PAGE_SIZE)
        rows = page.events
        selectors.event_context(rows)
        shown_regions = {event.region_id for event in rows} - {None}
        visible_regions = set(regions_visible_to(request.user).filter(pk__in=shown_regions)
                              .values_list("pk", flat=True)) if shown_regions else set()
        for event in rows:
            event.label = selectors.action_label(event.action)
            event.detail_rows = detail_rows(event.details)
            event.in_scope = event.region_id is None or event.region_id in visible_regions
            event.agency = getattr(event, "actor_agency", "")
        query = request.GET.copy()
        for key in ("page", BEFORE_PARAM, AFTER_PARAM):
            query.pop(key, None)
        export_query = query.copy()
        export_query.pop(ORDER_PARAM, None)
        for key, value in export_params.items():
            export_query[key] = value
        toggled = query.copy()
        toggled[ORDER_PARAM] = "" if oldest_first else OLDEST_FIRST
        if not toggled[ORDER_PARAM]:
            del toggled[ORDER_PARAM]
        base = query.urlencode()

        def link(key: str, pk: int | None) -> str:
            return f"?{base + '&' if base else ''}{key}={pk}" if pk is not None else ""

        if self.scope is None:
            subject.update(self._programmes(filterset))
        context = {**kwargs, **subject}  # the subject (e.g. the Region) replaces the URL's raw value
        context.update(
            scope=self.scope,
            filter=filterset,
            page=page,
            events=rows,
            oldest_first=oldest_first,
            query=base,
            newer_url=link(AFTER_PARAM, page.newer),
            older_url=link(BEFORE_PARAM, page.older),
            start_url=f"?{base}" if base else request.path,
            shown_from=rows[0].pk if rows else None,
            shown_to=rows[-1].pk if rows else None,
            order_toggle_query=toggled.urlencode(),
            export_csv_url=f"{reverse('audit:export_csv')}?{export_query.urlencode()}",
            export_json_url=f"{reverse('audit:export_json')}?{export_query.urlencode()}",
        )
        return super().get_context_data(**context)


class ExportView(generic.View):
    """The filtered events as CSV or JSON, streamed row by row; the export itself is recorded."""

    fmt = "csv"

    def get(self, request, *args, **kwargs):
        user = request.user
        filterset = EventFilter(request.GET, queryset=selectors.events_visible_to(user), request=request)
        if not filterset.is_valid():
            problems = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in filterset.errors.items())
            return HttpResponseBadRequest(_("Filter tidak sah: %(problems)s") % {"problems": problems},
                                          content_type="text/plain; charset=utf-8")
        last = bundle.last_event_pk()
        events = filterset.qs.filter(pk__lte=last)
        applied = filterset.applied()
        region = filterset.form.cleaned_data.get("region")
        process = filterset.form.cleaned_data.get("process")
        programme = filterset.form.cleaned_data.get("programme") or getattr(process, "programme", None)
        _record(user=user, action=AuditAction.AUDIT_EXPORTED, region=region or getattr(programme, "region", None),
                programme=programme,
                details={"format": self.fmt, "filter": applied, "events": events.count(), "up_to": last})
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        if self.fmt == "json":
            response = StreamingHttpResponse(bundle.json_chunks(events), content_type="application/json; charset=utf-8")
        else:
            response = StreamingHttpResponse(bundle.csv_chunks(events), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="jejak-audit-{stamp}.{self.fmt}"'
        return response


class BundleView(AnswersMissingFile, generic.View):
    """The programme's audit bundle (zip): events, PDFs, trust root, manifest and the standalone checker."""

    def get(self, request, programme_pk):
        try:
            programme = selectors.programme_for_audit(request.user, programme_pk)
        except ObjectDoesNotExist as missing:
            raise Http404 from missing
        built = bundle.bundle_build(programme=programme, user=request.user)
        _record(user=request.user, action=AuditAction.AUDIT_BUNDLE_EXPORTED, region=programme.region,
                programme=programme,
                details={"programme": programme.pk, "file": built.filename, "events": built.manifest["events"]["count"],
                         "files": len(built.manifest["files"]) + 1, "manifest_sha256": built.manifest_sha256,
                         "zip_sha256": built.zip_sha256, "size": built.size})
        return FileResponse(built.file, as_attachment=True, filename=built.filename, content_type="application/zip")


REFUSAL_DAYS = 7


class RefusalsView(generic.TemplateView):
    """Refused requests of the last days, counted per user, route and hour (audit.refusals).

    National auditors and administrators see every row, anonymous ones included; a
    regional auditor sees the refusals of officials who work in their regions.
    """

    template_name = "auditing/refusals.html"

    def get_context_data(self, **kwargs):
        from audit.models import RefusalCount

        user = self.request.user
        since = timezone.now() - datetime.timedelta(days=REFUSAL_DAYS)
        rows = RefusalCount.objects.filter(hour__gte=since).select_related("user__official")
        if not selectors.reads_unscoped_events(user):
            rows = rows.filter(user__role_assignments__agency__region__in=regions_visible_to(user)).distinct()
        page = Paginator(rows.order_by("-hour", "-count", "pk"), PAGE_SIZE).get_page(self.request.GET.get("page"))
        total = rows.aggregate(total=Sum("count"))["total"] or 0
        return super().get_context_data(**kwargs, page_obj=page, rows=list(page.object_list), total=total,
                                        days=REFUSAL_DAYS, heading=_("Akses ditolak"))
