"""Admin menu items of the dashboards (registered in ``lms/wagtail_hooks.py``)."""

from wagtail.admin.menu import MenuItem

from lms.services.scope import visible_collectivities


class DashboardMenuItem(MenuItem):
    """Shown to people who may see at least one collectivity's figures (checked once per request)."""

    def is_shown(self, request):
        if not hasattr(request, "_lms_sees_dashboards"):
            request._lms_sees_dashboards = visible_collectivities(request.user).exists()
        return request._lms_sees_dashboards
