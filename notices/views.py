"""The notification centre: an official's own notices, and how they want to be told.

Every query starts from the signed-in user (`_own`): another official's notice is a 404, never a page.
These pages live outside viewflow's Site (their own URL prefix); they borrow the home page's site and app
(`_SiteMenu`) so that they have the same menu and title bar as every other page.
"""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import generic

from .forms import NoticeSettingsForm
from .models import Notice
from .services import notices_mark_read, preference_of, preference_save

NOTICES_PER_PAGE = 25
MARKED_READ = _("Pemberitahuan ditandai sudah dibaca.")
ALL_MARKED_READ = _("Semua pemberitahuan ditandai sudah dibaca.")
SETTINGS_SAVED = _("Pengaturan pemberitahuan disimpan.")


def _own(user):
    return Notice.objects.filter(recipient=user)


def unread_count(user) -> int:
    """The bell's number (one indexed query: Notice.Meta.indexes "notice_unread")."""
    if not user.is_authenticated:
        return 0
    return _own(user).filter(read_at__isnull=True).count()


def local_path(url: str) -> str | None:
    """The notice's link if it is a path on this site ("/kasus/7/"), else None: a notice never sends anyone
    to another host, whatever its url holds."""
    if not url or not url.startswith("/") or url.startswith("//"):
        return None
    return url if url_has_allowed_host_and_scheme(url, allowed_hosts=set()) else None


class _SiteMenu:
    def dispatch(self, request, *args, **kwargs):
        home = resolve(reverse("sepakat:index"))
        for name, value in getattr(home.url_name, "extra", {}).items():
            if name in ("site", "app", "viewset") and request.resolver_match is not None:
                setattr(request.resolver_match, name, value)
        return super().dispatch(request, *args, **kwargs)


class NoticeListView(_SiteMenu, generic.ListView):
    template_name = "notices/list.html"
    context_object_name = "notices"
    paginate_by = NOTICES_PER_PAGE

    @property
    def unread_only(self) -> bool:
        return self.request.GET.get("belum") == "1"

    def get_queryset(self):
        notices = _own(self.request.user).order_by("-created", "-pk")
        return notices.filter(read_at__isnull=True) if self.unread_only else notices

    def get_context_data(self, **kwargs):
        return super().get_context_data(unread_only=self.unread_only, **kwargs)


class NoticeOpenView(generic.View):
    """The "Buka" link: the notice is read, and its link opened (the list when the link is not a path of ours)."""

    def get(self, request, pk):
        notice = get_object_or_404(_own(request.user), pk=pk)
        notices_mark_read(user=request.user, notice_ids=[notice.pk])
        target = local_path(notice.url)
        return HttpResponseRedirect(target) if target else redirect("notices:list")


def _back_to_list(request):
    """Back to the page of the list the button was on (a path of the list, never elsewhere)."""
    back = request.POST.get("next", "")
    list_url = reverse("notices:list")
    if back.startswith(list_url) and local_path(back):
        return HttpResponseRedirect(back)
    return redirect("notices:list")


class NoticeMarkReadView(generic.View):
    def post(self, request, pk):
        notice = get_object_or_404(_own(request.user), pk=pk)
        notices_mark_read(user=request.user, notice_ids=[notice.pk])
        messages.success(request, MARKED_READ)
        return _back_to_list(request)


class NoticeMarkAllReadView(generic.View):
    def post(self, request):
        notices_mark_read(user=request.user)
        messages.success(request, ALL_MARKED_READ)
        return _back_to_list(request)


class NoticeSettingsView(_SiteMenu, generic.FormView):
    template_name = "notices/settings.html"
    form_class = NoticeSettingsForm

    def get_initial(self):
        preference = preference_of(self.request.user)
        official = getattr(self.request.user, "official", None)
        return {
            "by_email": preference.by_email and bool(self.request.user.email),  # none is sent without an address
            "by_whatsapp": preference.by_whatsapp,
            "mode": preference.mode,
            "whatsapp_number": getattr(official, "whatsapp_number", ""),
        }

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        data = form.cleaned_data
        preference_save(user=self.request.user, by_email=data["by_email"], by_whatsapp=data["by_whatsapp"],
                        mode=data["mode"], whatsapp_number=data["whatsapp_number"] if form.has_profile else "")
        messages.success(self.request, SETTINGS_SAVED)
        return redirect("notices:settings")
