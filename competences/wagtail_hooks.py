"""Registers the frameworks' admin: viewsets (``viewsets.py``) and views (``admin_views.py``)."""

from django.urls import path
from wagtail import hooks

from competences import admin_views
from competences.viewsets import FrameworksGroup


@hooks.register("register_admin_viewset")
def register_frameworks_viewsets():
    return FrameworksGroup()


@hooks.register("register_admin_urls")
def register_frameworks_urls():
    return [
        path(
            "frameworks/<int:pk>/tree/", admin_views.FrameworkTreeView.as_view(), name="lms_competences_tree"
        ),
        path("frameworks/<int:pk>/export/", admin_views.ExportView.as_view(), name="lms_competences_export"),
        path("frameworks/import/", admin_views.ImportView.as_view(), name="lms_competences_import"),
        path(
            "frameworks/<int:pk>/new-version/",
            admin_views.NewVersionView.as_view(),
            name="lms_competences_new_version",
        ),
        path(
            "frameworks/move/<str:kind>/<int:pk>/<str:direction>/",
            admin_views.MoveView.as_view(),
            name="lms_competences_move",
        ),
    ]
