"""Extension points of the dashboards that other work fills in: consent, audit log, similar collectivities.

* Consent: an EPCI or a centre de gestion sees the consolidated figures of the member collectivities that
  consent to it. ``LMS_CONSOLIDATION_CONSENT`` names a function ``(collectivity) -> QuerySet[Collectivity]``;
  the default is :func:`lms.services.scope.consenting_members` (active ``AggregateSharing`` agreements);
  :func:`no_consent` shares nothing.
* Audit log: every drill-down from a figure to learners calls ``LMS_DRILLDOWN_AUDIT`` with
  ``(request, collectivity, description, actor_names)``; the default is
  :func:`lms.services.audit.record_drilldown` (one audit-log entry per person); :func:`log_drilldown` only
  writes a log line.
"""

import logging

from django.utils.module_loading import import_string

from lms.conf import lms_settings
from lms.models import Collectivity

logger = logging.getLogger("lms.audit")

#: Size bands (inhabitants) used to compare a collectivity with similar ones (same kind, same band).
SIZE_BANDS = (0, 1_000, 3_500, 10_000, 50_000, 200_000)
#: A benchmark needs at least this many similar collectivities, so that none can be recognised.
MIN_BENCHMARK_PEERS = 3


def no_consent(collectivity: Collectivity):
    """Default consent: no member shares its figures (safe until the consent model exists)."""
    return Collectivity.objects.none()


def consenting_members(collectivity: Collectivity):
    """Return the members whose aggregated figures ``collectivity`` may consolidate."""
    return import_string(lms_settings.CONSOLIDATION_CONSENT)(collectivity)


def log_drilldown(request, collectivity, description: str, actor_names: list[str]) -> None:
    """Default audit hook: log who opened which list of learners (no names, only their count)."""
    logger.info(
        "drill-down by user %s on collectivity %s: %s (%d learners)",
        getattr(request.user, "pk", None),
        collectivity.pk,
        description,
        len(actor_names),
    )


def audit_drilldown(request, collectivity, description: str, actor_names: list[str]) -> None:
    """Record a drill-down through the configured hook (``LMS_DRILLDOWN_AUDIT``)."""
    import_string(lms_settings.DRILLDOWN_AUDIT)(request, collectivity, description, actor_names)


def size_band(population: int | None) -> int | None:
    """Return the index of the size band of a population (``None`` when unknown)."""
    if population is None:
        return None
    return sum(1 for floor in SIZE_BANDS if population >= floor) - 1


def similar_collectivities(collectivity: Collectivity):
    """Collectivities of the same kind and size band (never the collectivity itself)."""
    band = size_band(collectivity.population)
    if band is None:
        return Collectivity.objects.none()
    low = SIZE_BANDS[band]
    queryset = Collectivity.objects.filter(kind=collectivity.kind, population__gte=low)
    if band + 1 < len(SIZE_BANDS):
        queryset = queryset.filter(population__lt=SIZE_BANDS[band + 1])
    return queryset.exclude(pk=collectivity.pk)
