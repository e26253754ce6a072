from django.contrib import admin
from django.db import transaction

from .models import Official, RoleAssignment
from .services import role_sync_user


@admin.register(Official)
class OfficialAdmin(admin.ModelAdmin):
    list_display = ("full_name", "post", "nip", "user")
    search_fields = ("full_name", "nip", "user__username")


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "agency", "valid_from", "valid_until", "acting")
    list_filter = ("role", "agency__kind", "agency__region", "acting")
    search_fields = ("user__username", "user__official__full_name", "agency__name")
    autocomplete_fields = ("user",)

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        previous_user = RoleAssignment.objects.filter(pk=obj.pk).values_list("user", flat=True).first()
        super().save_model(request, obj, form, change)
        role_sync_user(user=obj.user)
        if previous_user and previous_user != obj.user_id:
            role_sync_user(user=type(obj.user).objects.get(pk=previous_user))

    @transaction.atomic
    def delete_model(self, request, obj):
        user = obj.user
        super().delete_model(request, obj)
        role_sync_user(user=user)
