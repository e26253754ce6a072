"""Notices and their deliveries in the admin: records to read, never to edit.

A notice is what an official was told: administrators see it and how each channel delivered it, and may
only ask for a failed delivery to be sent again (notices.delivery.delivery_resend).
"""

import logging

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from agreements.admin import ReadOnlyAdmin

from .delivery import delivery_resend
from .models import Delivery, DeliveryState, Notice

logger = logging.getLogger(__name__)

DELIVERY_FIELDS = ("channel", "address", "state", "attempts", "next_attempt_at", "last_error", "sent_at")


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    fields = DELIVERY_FIELDS
    readonly_fields = DELIVERY_FIELDS
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ("created", "recipient", "kind", "title", "region", "read")
    list_filter = ("kind", "region")
    search_fields = ("title", "recipient__username", "recipient__official__full_name")
    list_select_related = ("recipient", "region")
    date_hierarchy = "created"
    fields = ("recipient", "kind", "title", "body", "url", "process", "region", "event", "created", "read_at")
    inlines = [DeliveryInline]

    @admin.display(description=_("dibaca"), boolean=True, ordering="read_at")
    def read(self, obj):
        return obj.read_at is not None


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("notice_title", "recipient", "channel", "address", "state", "attempts", "next_attempt_at",
                    "last_error_short", "sent_at")
    list_filter = ("state", "channel")
    search_fields = ("address", "notice__title", "notice__recipient__username")
    list_select_related = ("notice__recipient",)
    fields = ("notice", *DELIVERY_FIELDS)
    actions = ["resend_now"]

    @admin.display(description=_("pemberitahuan"), ordering="notice__title")
    def notice_title(self, obj):
        return obj.notice.title

    @admin.display(description=_("penerima"), ordering="notice__recipient__username")
    def recipient(self, obj):
        return obj.notice.recipient

    @admin.display(description=_("galat terakhir"))
    def last_error_short(self, obj):
        return obj.last_error if len(obj.last_error) <= 120 else obj.last_error[:119] + "…"

    def has_resend_permission(self, request):
        return request.user.has_perm("notices.change_delivery")

    @admin.action(description=_("Kirim ulang sekarang"), permissions=["resend"])
    def resend_now(self, request, queryset):
        resent = skipped = 0
        for delivery in queryset.select_related(None).only("pk", "state"):
            if delivery_resend(delivery=delivery, actor=request.user):
                resent += 1
            else:
                skipped += 1
        if resent:
            logger.info("%s asked %d notice deliveries to be sent again", request.user.get_username(), resent)
            self.message_user(request, ngettext(
                "%(count)d pengiriman dijadwalkan untuk dikirim ulang sekarang.",
                "%(count)d pengiriman dijadwalkan untuk dikirim ulang sekarang.", resent) % {"count": resent},
                messages.SUCCESS)
        if skipped:
            self.message_user(request, ngettext(
                "%(count)d pengiriman dilewati: hanya yang berstatus “%(failed)s” atau “%(given_up)s” dapat "
                "dikirim ulang.",
                "%(count)d pengiriman dilewati: hanya yang berstatus “%(failed)s” atau “%(given_up)s” dapat "
                "dikirim ulang.", skipped) % {"count": skipped, "failed": DeliveryState.FAILED.label,
                                                "given_up": DeliveryState.GIVEN_UP.label},
                messages.WARNING)
