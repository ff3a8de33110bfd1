"""Registers Tremplin's admin views, viewsets and menu items; they are defined in ``lms.dashboards``,
``lms.imports``, ``lms.onboarding``, ``lms.viewsets`` and ``lms.xapi.viewsets``."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.permissions import register_permission_policy

from lms.dashboards.home import CollectivitiesPanel
from lms.dashboards.menu import DashboardMenuItem
from lms.dashboards.views import DashboardView, LearnersView, RulesView
from lms.imports.views import PixImportView
from lms.onboarding.views import ImportView
from lms.services.scope import managed_collectivities, visible_collectivities
from lms.viewsets import PERMISSION_POLICIES, OrganisationViewSetGroup
from lms.xapi.viewsets import LrsViewSetGroup


class ManagerMenuItem(MenuItem):
    """Shown to the HR managers of at least one collectivity (who may see its people)."""

    def is_shown(self, request):
        if not hasattr(request, "_lms_manages"):
            request._lms_manages = managed_collectivities(request.user).exists()
        return request._lms_manages


for _model, _policy in PERMISSION_POLICIES:
    register_permission_policy(_model, _policy)


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [
        path(
            "tremplin/competences/", DashboardView.as_view(panel="levels"), name="lms_dashboard_competences"
        ),
        path("tremplin/dashboards/learners/", LearnersView.as_view(), name="lms_dashboard_learners"),
        path("tremplin/dashboards/<slug:panel>/", DashboardView.as_view(), name="lms_dashboard"),
        path("tremplin/rules/", RulesView.as_view(), name="lms_dashboard_rules"),
        path("tremplin/import-pix/", PixImportView.as_view(), name="lms_import_pix"),
        path("tremplin/import/", ImportView.as_view(), name="lms_onboarding_import"),
    ]


@hooks.register("register_admin_viewset")
def register_lrs_viewsets():
    return LrsViewSetGroup()


@hooks.register("register_admin_viewset")
def register_organisation_viewsets():
    return OrganisationViewSetGroup()


@hooks.register("register_admin_menu_item")
def register_dashboard_menu_item():
    return DashboardMenuItem(
        _("Dashboards"),
        reverse("lms_dashboard", args=["overview"]),
        icon_name="table",
        name="lms-dashboards",
        order=250,
    )


@hooks.register("register_admin_menu_item")
def register_rules_menu_item():
    return DashboardMenuItem(
        _("How levels are computed"),
        reverse("lms_dashboard_rules"),
        icon_name="help",
        name="lms-rules",
        order=251,
    )


@hooks.register("register_admin_menu_item")
def register_pix_import_menu_item():
    return ManagerMenuItem(
        _("Import Pix results"),
        reverse("lms_import_pix"),
        icon_name="upload",
        name="lms-import-pix",
        order=255,
    )


@hooks.register("register_admin_menu_item")
def register_import_menu_item():
    return ManagerMenuItem(
        _("Import agents"), reverse("lms_onboarding_import"), icon_name="upload", name="lms-import", order=270
    )


@hooks.register("construct_homepage_panels")
def add_collectivities_panel(request, panels):
    if visible_collectivities(request.user).exists():
        panels.append(CollectivitiesPanel(request.user))
