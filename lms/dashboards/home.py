"""The panel of the Wagtail admin's home page for people who read dashboards (registered in
``lms/wagtail_hooks.py``): their collectivities, how many learners each has and when its figures were
computed, with the way to its dashboards."""

from django.db.models import IntegerField, OuterRef, Subquery
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils.http import urlencode
from wagtail.admin.ui.components import Component

from lms.analytics.figures import group_key
from lms.conf import lms_settings
from lms.models import CollectivitySnapshot
from lms.services.scope import visible_collectivities

#: Collectivities listed on the home page; a platform administrator sees every one in the dashboards' menu.
SHOWN = 10


class CollectivitiesPanel(Component):
    """« Your collectivities »: one row each, from one query (the snapshots' size of everyone and date)."""

    name = "lms_collectivities"
    order = 50
    template_name = "lms/dashboards/home_panel.html"

    def __init__(self, user):
        self.user = user

    def get_context_data(self, parent_context):
        snapshots = CollectivitySnapshot.objects.filter(
            collectivity=OuterRef("pk"), kind=CollectivitySnapshot.Kind.FIGURES
        )
        group = KeyTransform(group_key("all"), KeyTransform("groups", "data"))
        everyone = Cast(KeyTextTransform("size", group), IntegerField())
        collectivities = visible_collectivities(self.user).order_by("name")
        rows = list(
            collectivities.annotate(
                computed_at=Subquery(snapshots.values("computed_at")[:1]),
                learners=Subquery(snapshots.annotate(size=everyone).values("size")[:1]),
            ).values("name", "slug", "computed_at", "learners")[: SHOWN + 1]
        )
        minimum = lms_settings.MIN_GROUP_SIZE

        def shown(size):
            return None if size is None or size < minimum else size

        overview = reverse("lms_dashboard", args=["overview"])
        return {
            "collectivities": [
                {
                    **row,
                    "learners": shown(row["learners"]),
                    "url": f"{overview}?{urlencode({'collectivity': row['slug']})}",
                }
                for row in rows[:SHOWN]
            ],
            "more": len(rows) > SHOWN,
            "dashboards_url": overview,
            "min_group_size": minimum,
        }
