"""``{% signing_page_visible as show %}``: whether the menu offers the signing certificate page."""

from django import template

from agreements import signatures
from agreements.models import SigningCredential

register = template.Library()


@register.simple_tag(takes_context=True)
def signing_page_visible(context) -> bool:
    """For those who may enrol, and for those who already hold a certificate (to read its details)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    return signatures.may_enrol(user) or SigningCredential.objects.filter(user=user).exists()
