"""guardian's object permission backend, answering from one read of the user's object permissions per request.

guardian asks the database on every has_perm call (a new ObjectPermissionChecker each time), once per object:
a dashboard of 200 cards of 150 regions asked 150 times. In a request (permissions.memo) the user's object
permissions, their own and their groups', are read once and every check answers from that set, with guardian's
rules: an inactive user has none, a superuser has all. Outside a request every call is guardian's own.
"""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from guardian.backends import ObjectPermissionBackend, check_support
from guardian.models import GroupObjectPermission, UserObjectPermission

from .memo import memo_of, remembered

OBJECT_PERMISSIONS_KEY = "object_permissions"


def object_permissions(user) -> frozenset[tuple[int, str, str]]:
    """(content type id, object pk, codename) of every object permission the user holds, directly or by a group:
    one query."""
    def read():
        fields = ("content_type_id", "object_pk", "permission__codename")
        own = UserObjectPermission.objects.filter(user=user).values_list(*fields).order_by()
        by_group = GroupObjectPermission.objects.filter(group__user=user).values_list(*fields).order_by()
        return frozenset(own.union(by_group, all=True))

    return remembered(user, OBJECT_PERMISSIONS_KEY, read)


class OneQueryModelBackend(ModelBackend):
    """Django's ModelBackend, reading a user's own and their groups' permissions in one query (it reads them in
    two, on every request that asks for a permission). Same caches, same rules."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                return super().get_all_permissions(user_obj, obj)
            fields = ("content_type__app_label", "codename")
            own = user_obj.user_permissions.values_list(*fields).order_by()
            by_group = Permission.objects.filter(group__user=user_obj).values_list(*fields).order_by()
            user_obj._perm_cache = {f"{app_label}.{codename}" for app_label, codename in own.union(by_group)}
        return user_obj._perm_cache


class RequestCachedObjectPermissionBackend(ObjectPermissionBackend):
    def has_perm(self, user_obj, perm, obj=None):
        if memo_of(user_obj) is None:
            return super().has_perm(user_obj, perm, obj)
        support, checked_user = check_support(user_obj, obj)
        if not support or checked_user is not user_obj:
            return super().has_perm(user_obj, perm, obj)  # anonymous: guardian's own way
        app_label, _, codename = perm.rpartition(".")
        if app_label and app_label != obj._meta.app_label:
            return super().has_perm(user_obj, perm, obj)  # guardian's own content-type check and error
        if not user_obj.is_active:
            return False
        if user_obj.is_superuser:
            return True
        content_type = ContentType.objects.get_for_model(obj)
        return (content_type.pk, str(obj.pk), codename) in object_permissions(user_obj)
