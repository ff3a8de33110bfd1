"""French first: the language is the one the visitor chose (language cookie), else the site's default.

Django's LocaleMiddleware would follow the browser's Accept-Language header, which would show most visitors
an English portal; public services in France speak French unless the person asks otherwise.
"""

from django.conf import settings
from django.utils import translation
from django.utils.deprecation import MiddlewareMixin


class ChosenLanguageMiddleware(MiddlewareMixin):
    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        response.headers.setdefault("Content-Language", translation.get_language())
        if "Cookie" not in response.get("Vary", ""):
            response.headers["Vary"] = ", ".join(filter(None, [response.get("Vary"), "Cookie"]))
        return response
