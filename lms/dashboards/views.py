"""HR dashboards in the Wagtail admin. They read snapshots only and never compute in the request."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from competences.models import Competence
from lms.conf import lms_settings
from lms.models import CollectivitySnapshot
from lms.services.scope import visible_collectivities

LEVELS = list(range(1, 9))
#: Sequential palette for levels 1..8 (light to dark), each segment also outlined for contrast.
PALETTE = ["#dbe9f6", "#bad6ef", "#89bfe3", "#5aa2d6", "#3484c4", "#1b66a8", "#0d4a86", "#062f5e"]
UNASSESSED_COLOUR = "#f0f0f0"


def mask(count: int, minimum: int) -> int | None:
    """Hide a count of people smaller than the minimum group size (``None`` means hidden)."""
    return None if 0 < count < minimum else count


class CompetenceDashboardView(WagtailAdminTemplateMixin, TemplateView):
    """« Compétences »: for each competence, how many learners of the collectivity are at each level."""

    template_name = "lms/dashboards/competences.html"
    page_title = _("Competences")
    header_icon = "table"

    def dispatch(self, request, *args, **kwargs):
        self.collectivities = list(visible_collectivities(request.user))
        if not self.collectivities:
            raise PermissionDenied
        slug = request.GET.get("collectivity")
        if slug:
            self.collectivity = next((c for c in self.collectivities if c.slug == slug), None)
            if self.collectivity is None:
                raise Http404
        else:
            self.collectivity = self.collectivities[0]
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self):
        return self.collectivity.name

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        snapshot = CollectivitySnapshot.objects.filter(
            collectivity=self.collectivity, kind=CollectivitySnapshot.Kind.LEVEL_DISTRIBUTION
        ).first()
        minimum = lms_settings.MIN_GROUP_SIZE
        context.update(
            collectivities=self.collectivities,
            collectivity=self.collectivity,
            snapshot=snapshot,
            levels=LEVELS,
            min_group_size=minimum,
            rows=[],
            too_small=False,
        )
        if snapshot is None:
            return context
        learners = snapshot.data["learners"]
        context["learners"] = learners
        if 0 < learners < minimum:
            context["too_small"] = True
            return context
        competences = Competence.objects.select_related("area").in_bulk(
            [row["competence_id"] for row in snapshot.data["competences"]]
        )
        rows = []
        for row in snapshot.data["competences"]:
            competence = competences.get(row["competence_id"])
            if competence is None:
                continue
            cells = [mask(row["counts"].get(str(level), 0), minimum) for level in LEVELS]
            rows.append(
                {
                    "competence": competence,
                    "cells": cells,
                    "unassessed": mask(row["unassessed"], minimum),
                    "bars": _bars(cells, learners),
                }
            )
        context["rows"] = rows
        context["palette"] = list(zip(LEVELS, PALETTE, strict=True))
        context["unassessed_colour"] = UNASSESSED_COLOUR
        return context


def _bars(cells: list[int | None], learners: int) -> list[dict]:
    """Segments of one stacked bar, in percent of the population.

    Hidden (small) counts are not drawn: they fall in the grey remainder with the learners who have no
    validated level, so that the chart reveals no more than the table.
    """
    if not learners:
        return []
    segments, x = [], 0.0
    for level, count, colour in zip(LEVELS, cells, PALETTE, strict=True):
        if count:
            width = 100 * count / learners
            segments.append({"x": round(x, 2), "width": round(width, 2), "colour": colour, "level": level})
            x += width
    if x < 100:
        remainder = {"x": round(x, 2), "width": round(100 - x, 2), "colour": UNASSESSED_COLOUR, "level": None}
        segments.append(remainder)
    return segments
