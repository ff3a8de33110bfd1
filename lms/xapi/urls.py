"""The LRS API, mounted by the host site at ``xapi/``."""

from django.urls import path

from . import views

app_name = "xapi"

urlpatterns = [
    path("statements", views.StatementsView.as_view(), name="statements"),
    path("about", views.AboutView.as_view(), name="about"),
    path("activities/state", views.StateView.as_view(), name="state"),
    path("activities/profile", views.ActivityProfileView.as_view(), name="activity_profile"),
    path("activities", views.ActivitiesView.as_view(), name="activities"),
    path("agents/profile", views.AgentProfileView.as_view(), name="agent_profile"),
    path("agents", views.AgentsView.as_view(), name="agents"),
]
