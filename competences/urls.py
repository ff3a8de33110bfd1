"""The read-only CASE 1.1 API; mount it at ``ims/case/v1p1/``."""

from django.urls import path

from . import views

app_name = "lms_case"

urlpatterns = [
    path("CFDocuments", views.CFDocumentsView.as_view(), name="documents"),
    path("CFPackages/<uuid:sourced_id>", views.CFPackageView.as_view(), name="package"),
    path("CFItems/<uuid:sourced_id>", views.CFItemView.as_view(), name="item"),
]
