from django.urls import path

from . import views

app_name = "lms"

urlpatterns = [
    path("mon-parcours/", views.MyLearningView.as_view(), name="my_learning"),
    path(
        "mon-parcours/attestations/<int:enrolment_id>.pdf",
        views.AttestationView.as_view(),
        name="attestation",
    ),
    path("compte/inscription/", views.SignupView.as_view(), name="signup"),
    path("accessibilite/", views.AccessibilityView.as_view(), name="accessibility"),
]
