"""``{% notice_bell %}``: the bell with the unread count, in the title bar of every page (templates/viewflow/
base_page.html) for a signed-in user."""

from django import template

from ..views import unread_count

register = template.Library()

MAX_SHOWN = 99  # the badge shows "99+" beyond it; the accessible label always says the number


@register.inclusion_tag("notices/_bell.html", takes_context=True)
def notice_bell(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    count = unread_count(user)
    return {"show": True, "count": count, "shown": f"{MAX_SHOWN}+" if count > MAX_SHOWN else str(count)}
