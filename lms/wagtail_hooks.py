"""Registers Tremplin's admin views and menu items; the views live in ``lms.dashboards``."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from lms.dashboards.menu import DashboardMenuItem
from lms.dashboards.views import DashboardView, LearnersView, RulesView


@hooks.register("register_admin_urls")
def register_dashboard_urls():
    return [
        path(
            "tremplin/competences/", DashboardView.as_view(panel="levels"), name="lms_dashboard_competences"
        ),
        path("tremplin/dashboards/learners/", LearnersView.as_view(), name="lms_dashboard_learners"),
        path("tremplin/dashboards/<slug:panel>/", DashboardView.as_view(), name="lms_dashboard"),
        path("tremplin/rules/", RulesView.as_view(), name="lms_dashboard_rules"),
    ]


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
