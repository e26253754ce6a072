"""Error reports to Sentry (or a Sentry-compatible service such as GlitchTip), from one setting.

Only when SENTRY_DSN is set: sepakat.settings calls ``sentry_init`` then, and sentry_sdk is imported
here and nowhere else, so an installation without it imports nothing. The Django and Celery
integrations report unhandled errors of requests and tasks (with the request id as a tag: the
code the 500 page shows the official); the logging integration makes ERROR lines reports too.
Personal data stays home: no user, no cookies, no request bodies (send_default_pii=False).
"""


def sentry_init(*, dsn: str, environment: str, release: str = "") -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        before_send=_with_request_id,
    )


def _with_request_id(event, hint):
    from sepakat.logs import current

    context = current()
    if context.request_id:
        event.setdefault("tags", {})["request_id"] = context.request_id
    if context.task_id:
        event.setdefault("tags", {})["task_id"] = context.task_id
    return event
