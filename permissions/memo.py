"""What one request asks many times about its user, answered once.

A step's page asks who may see the case and who may act at the step from the middleware, the flow's
permission checks, the menu and the view: the same questions, a few milliseconds of guardian and role
queries each. RequestMemoMiddleware gives the request's user a memo; `remembered` answers from it.
Outside a request (services called by jobs, commands and tests) there is no memo and every question is
asked afresh, so a change of roles in the middle of a job is always seen.
"""

MEMO_ATTRIBUTE = "_sepakat_request_memo"


def memo_of(user) -> dict | None:
    """The request's memo of this user, or None outside a request."""
    return getattr(user, MEMO_ATTRIBUTE, None) if user is not None else None


def remembered(user, key, compute):
    """compute(), once per request for this user and key."""
    memo = memo_of(user)
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def forget(user) -> None:
    """Drop the request's answers (the user's roles or permissions changed during it)."""
    memo = memo_of(user)
    if memo is not None:
        memo.clear()


class RequestMemoMiddleware:
    """After AuthenticationMiddleware: the request's user gets an empty memo, filled as questions come."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None:
            setattr(user, MEMO_ATTRIBUTE, {})  # through AuthenticationMiddleware's lazy object, onto the user
        return self.get_response(request)
