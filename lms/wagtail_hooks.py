"""Registers Tremplin's admin views and menus, defined in ``lms.dashboards`` and ``lms.xapi.viewsets``."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import register_permission_policy

from lms.dashboards.views import CompetenceDashboardView
from lms.imports.views import PixImportView
from lms.onboarding.views import ImportView
from lms.services.scope import managed_collectivities, visible_collectivities
from lms.viewsets import PERMISSION_POLICIES, OrganisationViewSetGroup
from lms.xapi.viewsets import LrsViewSetGroup


class DashboardMenuItem(MenuItem):
    def is_shown(self, request):
        return visible_collectivities(request.user).exists()


@hooks.register("register_admin_urls")
def register_dashboard_urls():
    return [
        path("tremplin/competences/", CompetenceDashboardView.as_view(), name="lms_dashboard_competences"),
        path("tremplin/import-pix/", PixImportView.as_view(), name="lms_import_pix"),
        path("tremplin/import/", ImportView.as_view(), name="lms_onboarding_import"),
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


for _model, _policy in PERMISSION_POLICIES:
    register_permission_policy(_model, _policy)


@hooks.register("register_admin_viewset")
def register_organisation_viewsets():
    return OrganisationViewSetGroup()


class ImportMenuItem(MenuItem):
    def is_shown(self, request):
        return managed_collectivities(request.user).exists()


@hooks.register("register_admin_menu_item")
def register_import_menu_item():
    return ImportMenuItem(
        _("Import agents"), reverse("lms_onboarding_import"), icon_name="upload", name="lms-import", order=270
    )
