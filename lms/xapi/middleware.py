"""The LRS's own lane through the host site's middleware.

Requests to the LRS (``/xapi/...``) come from machines — authoring tools, activities, other platforms — with
HTTP Basic credentials, and are answered in JSON by :class:`lms.xapi.http.XapiView`, which is exempt from
CSRF and reads neither the session, the logged-in user, the chosen language nor the messages. The site's
middleware below this one exists for people's pages; on every LRS request it still created a session
store, a lazy user, a message store and an active language, added ``Vary: Cookie`` and framing headers to a
JSON answer, and Wagtail's redirects looked up every 404 the LRS answered (an unknown statement id) in the
database.

Placed right after the security and static-files middleware (``SecurityMiddleware``'s headers still apply),
it resolves an LRS path and calls its view directly; any other request, and an LRS path that matches no
resource (the site's 404 page, as before), goes on through the whole chain. ``request_started`` and
``request_finished`` — the database connections' upkeep — are sent by the handler as for any request.
"""

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.urls import Resolver404, get_resolver, resolve

#: The namespace under which the host site includes :mod:`lms.xapi.urls`.
NAMESPACE = "xapi"


def lrs_prefix(urlconf=None) -> str | None:
    """The path under which the host site mounts the LRS (``"/xapi/"``), or None if it does not."""
    for pattern in get_resolver(urlconf).url_patterns:
        if getattr(pattern, "namespace", None) == NAMESPACE:
            return "/" + str(pattern.pattern)
    return None


class LrsMiddleware:
    """Send requests to the LRS straight to their view, past the middleware meant for people's pages."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._prefixes = {}

    def prefix(self) -> str:
        """The LRS's path in the site's URLconf ("" when not mounted), read at the first request."""
        urlconf = settings.ROOT_URLCONF
        prefix = self._prefixes.get(urlconf)
        if prefix is None:
            prefix = self._prefixes[urlconf] = lrs_prefix(urlconf) or ""
        return prefix

    def __call__(self, request):
        prefix = self.prefix()
        if not prefix or not request.path_info.startswith(prefix) or hasattr(request, "urlconf"):
            # (A request given its own URLconf by an earlier middleware is left to Django's handler.)
            return self.get_response(request)
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        if match.namespace != NAMESPACE:
            return self.get_response(request)
        request.resolver_match = match
        # As Django's handler: the view inside a transaction where ATOMIC_REQUESTS asks for one.
        view = BaseHandler.make_view_atomic(self, match.func)
        response = view(request, *match.args, **match.kwargs)
        if not response.streaming and not response.has_header("Content-Length"):
            # What CommonMiddleware does for the other pages: clients may keep the connection.
            response.headers["Content-Length"] = str(len(response.content))
        return response
