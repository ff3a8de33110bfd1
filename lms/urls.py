from django.urls import path

from . import views

app_name = "lms"

urlpatterns = [
    path("mon-parcours/", views.MyLearningView.as_view(), name="my_learning"),
    path("accessibilite/", views.AccessibilityView.as_view(), name="accessibility"),
]
