from django.urls import path

from . import views
from .accounts import views as account_views

app_name = "lms"

urlpatterns = [
    path("mon-parcours/", views.MyLearningView.as_view(), name="my_learning"),
    path("mon-parcours/mes-donnees/", views.MyDataView.as_view(), name="my_data"),
    path("mon-parcours/mes-donnees/export/<str:fmt>/", views.export_my_data, name="my_data_export"),
    path("mon-parcours/mes-donnees/effacer/", views.EraseMyAccountView.as_view(), name="erase_account"),
    path(
        "mon-parcours/attestations/<int:enrolment_id>.pdf",
        views.AttestationView.as_view(),
        name="attestation",
    ),
    path("accessibilite/", views.AccessibilityView.as_view(), name="accessibility"),
    path("donnees-personnelles/", views.PrivacyView.as_view(), name="privacy"),
    path("inscription/", account_views.SignUpView.as_view(), name="signup"),
    path("inscription/confirmer/<uidb64>/<token>/", account_views.confirm_sign_up, name="signup_confirm"),
    path("invitation/<uidb64>/<token>/", account_views.InvitationView.as_view(), name="invitation"),
    path("invitation/terminee/", account_views.invitation_done, name="invitation_done"),
    path("oidc/<str:provider>/connexion/", account_views.oidc_login, name="oidc_login"),
    path("oidc/<str:provider>/retour/", account_views.oidc_callback, name="oidc_callback"),
]
