"""Registers Tremplin's admin views and menus, defined in ``lms.dashboards`` and ``lms.xapi.viewsets``."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from lms.dashboards.views import CompetenceDashboardView
from lms.imports.views import PixImportView
from lms.services.scope import visible_collectivities
from lms.xapi.viewsets import LrsViewSetGroup


class DashboardMenuItem(MenuItem):
    def is_shown(self, request):
        return visible_collectivities(request.user).exists()


@hooks.register("register_admin_urls")
def register_dashboard_urls():
    return [
        path("tremplin/competences/", CompetenceDashboardView.as_view(), name="lms_dashboard_competences"),
        path("tremplin/import-pix/", PixImportView.as_view(), name="lms_import_pix"),
    ]


@hooks.register("register_admin_viewset")
def register_lrs_viewsets():
    return LrsViewSetGroup()


@hooks.register("register_admin_menu_item")
def register_dashboard_menu_item():
    return DashboardMenuItem(
        _("Competences"),
        reverse("lms_dashboard_competences"),
        icon_name="table",
        name="lms-competences",
        order=250,
    )


@hooks.register("register_admin_menu_item")
def register_pix_import_menu_item():
    return DashboardMenuItem(
        _("Import Pix results"),
        reverse("lms_import_pix"),
        icon_name="upload",
        name="lms-import-pix",
        order=255,
    )
