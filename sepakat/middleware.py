from django.conf import settings
from django.utils import translation


class DefaultLanguageMiddleware:
    """Bahasa Indonesia unless the user chose another language.

    Django's LocaleMiddleware follows the browser's Accept-Language, which would
    show most officials' browsers the English interface. Here only the choice
    made with the language switch (Django's language cookie) counts.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
