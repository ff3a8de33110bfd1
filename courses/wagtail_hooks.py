"""Registers the courses app's admin view and menu item; the view lives in ``courses.admin_views``."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from lms.services.scope import managed_collectivities

from .admin_views import assign_course


class AssignMenuItem(MenuItem):
    def is_shown(self, request):
        return managed_collectivities(request.user).exists()


@hooks.register("register_admin_urls")
def register_assign_url():
    return [path("tremplin/assigner/", assign_course, name="lms_courses_assign")]


@hooks.register("register_admin_menu_item")
def register_assign_menu_item():
    return AssignMenuItem(
        _("Assign a course"), reverse("lms_courses_assign"), icon_name="user", name="lms-assign", order=260
    )
