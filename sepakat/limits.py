"""The limits that forms and services enforce (settings.SEPAKAT), read each time they are used.

Not copied at import: a changed setting (override_settings in a test) takes effect.
"""

from django.conf import settings


def limit(name: str) -> int:
    """settings.SEPAKAT[name], e.g. limit("TITLE_MAX_LENGTH")."""
    return settings.SEPAKAT[name]
