"""HR dashboards in the Wagtail admin. They read snapshots only and never compute in the request.

Every view starts from :func:`lms.services.scope.visible_collectivities`; exports are built from the very
tables the page shows (:mod:`lms.dashboards.panels`), after small groups are hidden.
"""

import csv
import io
import re
import unicodedata

from django.core.exceptions import PermissionDenied
from django.db.models import Value
from django.db.models.fields.json import KeyTransform
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from competences.models import Area, Competence, JobProfile
from lms import spreadsheets
from lms.admin_header import TitledHeaderMixin
from lms.analytics import consolidation
from lms.analytics.figures import LEVEL_RANGE, group_key
from lms.analytics.mapping import carried_from
from lms.analytics.rules import LEVEL_RULES, RULES
from lms.conf import lms_settings
from lms.models import (
    Collectivity,
    CollectivitySnapshot,
    EvidenceKind,
    LearnerCompetenceLevel,
    Membership,
    Service,
)
from lms.services.scope import visible_collectivities

from . import panels
from .filters import DashboardFilters

CONSOLIDATING_KINDS = (Collectivity.Kind.EPCI, Collectivity.Kind.CDG)


#: Panels of levels, which are computed for members only (not for the public).
LEVEL_PANELS = ("growth", "levels", "gaps")


class CollectivityScopeMixin:
    """Pick the collectivity from ``?collectivity=<slug>`` among those the viewer may see (404 otherwise)."""

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


def framework_labels(frameworks: dict[int, tuple[str, str]]) -> dict[int, str]:
    """Short names of frameworks for row and series labels: ``{id: (title, version)}`` → ``{id: "CRCN"}``.

    The acronym a title gives first in brackets (« … numériques (CRCN, Pix) » → « CRCN »), else the title
    before its colon (« DigComp 2.2: The Digital… » → « DigComp 2.2 »), else the title. The version is left
    out when no other of the frameworks has the same name (« DigComp »), so that « DigComp 1.1 » does not
    read as two version numbers.
    """
    names = {}
    for pk, (title, version) in frameworks.items():
        acronym = re.search(r"\(\s*([^,;()\s]{2,12})\s*[,;)]", title)
        name = acronym.group(1) if acronym else title.split(":")[0].strip() or title
        names[pk] = (name, version)
    labels = {}
    for pk, (name, version) in names.items():
        short = name.removesuffix(f" {version}") if version else name
        clash = any(
            other == short or other.removesuffix(f" {v}") == short
            for o, (other, v) in names.items()
            if o != pk
        )
        labels[pk] = name if clash else short
    return labels


def _names(snapshot_data, panel: str, collectivity) -> panels.Names:
    """What the page calls things. Competence codes and area titles carry their framework's short name
    (« CRCN 1.1 », « DigComp · Communication et collaboration »): a snapshot may hold several frameworks
    whose codes and area titles are the same.
    """
    from courses.models import CourseCompetence, CoursePage, TrackPage
    from courses.services import course_ref

    competence_rows = list(
        Competence.objects.filter(pk__in=snapshot_data.get("competences", [])).values_list(
            "pk",
            "code",
            "title",
            "framework__language",
            "framework_id",
            "framework__title",
            "framework__version",
        )
    )
    area_rows = list(
        Area.objects.filter(pk__in=snapshot_data.get("areas", [])).values_list(
            "pk", "title", "framework_id", "framework__title", "framework__version"
        )
    )
    labels = framework_labels({row[-3]: (row[-2], row[-1]) for row in [*competence_rows, *area_rows]})
    competences = {
        pk: (f"{labels[f]} {code}", panels.Text.of(title, language))
        for pk, code, title, language, f, *_ in competence_rows
    }
    areas = {pk: f"{labels[f]} · {title}" for pk, title, f, *_ in area_rows}
    courses, tracks, by_page = {}, {}, {}
    track_titles = dict(TrackPage.objects.values_list("path", "title")) if panel == "elected" else {}
    for page in CoursePage.objects.only("title", "translation_key", "path", "depth"):
        ref = course_ref(page).id
        courses[ref], by_page[page.pk] = page.title, page.title
        tracks[ref] = track_titles.get(page.path[: -CoursePage.steplen], "")
    closing = {}
    mappings = CourseCompetence.objects.all() if panel == "gaps" else CourseCompetence.objects.none()
    for competence_id, level, page_id in mappings.values_list("competence_id", "level", "page_id"):
        if page_id in by_page:
            for target in range(1, level + 1):
                closing.setdefault((competence_id, target), []).append(by_page[page_id])
    job_profiles, services = _profile_and_service_names(
        collectivity, snapshot_data.get("job_profiles") or [], snapshot_data.get("services") or []
    )
    return panels.Names(competences, areas, courses, tracks, job_profiles, closing, services)


def _sort_key(name: str) -> str:
    """Alphabetical order as a French reader expects it: « État civil » before « Services techniques »."""
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()


def _profile_and_service_names(collectivity, job_profile_ids, service_ids) -> tuple[dict, dict]:
    """Names of the snapshot's job profiles and services, in one query.

    Only the services of ``collectivity`` itself are named: a service id of another collectivity gets no
    name, so it is never offered and the filter refuses it.
    """
    parts = []
    if job_profile_ids:
        parts.append(
            JobProfile.objects.filter(pk__in=job_profile_ids)
            .annotate(kind=Value("job_profile"))
            .order_by()
            .values_list("kind", "pk", "name")
        )
    if service_ids:
        parts.append(
            Service.objects.filter(collectivity=collectivity, pk__in=service_ids)
            .annotate(kind=Value("service"))
            .order_by()
            .values_list("kind", "pk", "name")
        )
    names = {"job_profile": {}, "service": {}}
    if parts:
        rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        for kind, pk, name in rows:
            names[kind][pk] = name
    return names["job_profile"], names["service"]


def may_drill_down(user, collectivity) -> bool:
    """Whether ``user`` may see the learners behind a figure of ``collectivity``: its own HR managers only."""
    return Membership.objects.filter(
        user=user, collectivity=collectivity, role=Membership.Role.HR_MANAGER
    ).exists()


def _applied_filters(filters, collectivity, values: dict) -> list[tuple[str, str]]:
    """The filters the figures are shown under, as ``(label, shown value)``, for the top of an export."""
    applied = [(str(filters.fields["collectivity"].label), collectivity.name)]
    for name, value in values.items():
        field = filters.fields[name]
        applied.append((str(field.label), str(dict(field.choices).get(value, value))))
    return applied


class DashboardView(CollectivityScopeMixin, TitledHeaderMixin, WagtailAdminTemplateMixin, TemplateView):
    """One dashboard panel (overview, growth, levels, gaps, elected, funnel, consolidated) and its exports."""

    template_name = "lms/dashboards/dashboard.html"
    header_icon = "table"
    panel = "overview"

    def get_page_title(self):
        return str(panels.PANELS[self.panel])

    def get_page_subtitle(self):
        return self.collectivity.name

    def get(self, request, *args, **kwargs):
        self.panel = kwargs.get("panel", self.panel)
        if self.panel not in panels.PANELS:
            raise Http404
        context = self.get_context_data(**kwargs)
        status = 400 if context["filters"].errors else 200
        export = request.GET.get("export")
        if export in ("csv", "xlsx") and status == 200:
            return _export(
                export,
                f"{self.collectivity.slug}-{self.panel}",
                context["key_figures"],
                context["tables"],
                notes=_export_notes(context),
                applied_filters=context["applied_filters"],
            )
        if export and export not in ("csv", "xlsx"):
            status = 400
        return self.render_to_response(context, status=status)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        minimum = lms_settings.MIN_GROUP_SIZE
        snapshot = snapshot_meta(self.collectivity)
        data = snapshot or {key: [] for key in META_KEYS}
        names = _names(data, self.panel, self.collectivity)
        courses = data.get("courses") or []
        filters = DashboardFilters(
            self.request.GET or None,
            panel=self.panel,
            collectivities=self.collectivities,
            job_profiles=[(str(j), names.job_profiles.get(j, str(j))) for j in data["job_profiles"]],
            courses=[(c, names.courses.get(c, c)) for c in courses],
            services=sorted(
                ((str(pk), name) for pk, name in names.services.items()), key=lambda item: _sort_key(item[1])
            ),
        )
        if filters.is_bound:
            filters.is_valid()
        period = int(filters.value("period", str(lms_settings.DASHBOARD_MONTHS)))
        population = filters.value("population", "all")
        job_profile = filters.value("job_profile", "all")
        service = filters.value("service", "all")
        course = filters.value("course", "all")
        query = {k: v for k, v in self.request.GET.items() if k != "export"}
        context.update(
            panel=self.panel,
            panel_links=[
                (
                    slug,
                    title,
                    reverse("lms_dashboard", args=[slug]) + ("?" + urlencode(query) if query else ""),
                )
                for slug, title in panels.PANELS.items()
                if slug != "consolidated" or self.collectivity.kind in CONSOLIDATING_KINDS
            ],
            filters=filters,
            snapshot=snapshot,
            collectivity=self.collectivity,
            min_group_size=minimum,
            key_figures=[],
            tables=[],
            too_small=False,
            export_query=urlencode(query),
            filter_errors=bool(filters.errors),
            applied_filters=_applied_filters(
                filters,
                self.collectivity,
                {
                    "period": str(period),
                    "population": population,
                    "service": service,
                    "job_profile": job_profile,
                    "course": course,
                },
            ),
            whole_collectivity=service != "all" and self.panel in WHOLE_COLLECTIVITY_PANELS,
        )
        if snapshot is None or not data["months"] or filters.errors:
            # Figures under filters that were refused would not be what the form says: show none.
            return context
        keys = _needed_groups(self.panel, population, job_profile, data, service)
        data["groups"], sizes = page_groups(snapshot["pk"], keys)
        group = data["groups"].get(group_key(population, job_profile, service))
        months = data["months"][-period:]
        if population == "public" and self.panel in LEVEL_PANELS:
            # The public is counted by its activity, without identities: a level table of zeros beside its
            # size would say that none of them has a level.
            context["public_without_levels"] = True
            return context
        if group is None or (
            group["size"] < minimum and self.panel not in ("elected", "consolidated", "gaps")
        ):
            context["too_small"] = True
            return context
        shown_key = group_key(
            *(("elected_official",) if self.panel == "elected" else (population, job_profile, service))
        )
        if self.panel not in ("gaps", "consolidated") and panels.told_by_difference(
            shown_key, sizes, minimum
        ):
            # All its figures, subtracted from its parent group's, would be the figures of the small rest.
            context["too_small"] = context["told_by_difference"] = True
            return context
        drill = None
        if (
            self.panel == "levels"
            and population in ("all", "agent", "elected_official")
            and may_drill_down(self.request.user, self.collectivity)
        ):
            # Only where the link can be followed: a platform administrator, or an EPCI's manager looking
            # at a member commune, would be turned away from the learners' list.

            def drill(competence_id, level):
                params = {"collectivity": self.collectivity.slug, "competence": competence_id, "level": level}
                params.update(population=population, job_profile=job_profile)
                if service != "all":
                    params["service"] = service
                return reverse("lms_dashboard_learners") + "?" + urlencode(params)

        ctx = panels.Context(
            data=data,
            group=group,
            months=months,
            offset=len(data["months"]) - len(months),
            minimum=minimum,
            names=names,
            population=population,
            job_profile=job_profile,
            course=course,
            drill=drill,
            sizes=sizes,
        )
        key_figures, tables = [], []
        if self.panel == "overview":
            key_figures, tables = panels.overview(ctx)
        elif self.panel == "growth":
            tables = panels.growth(ctx)
        elif self.panel == "levels":
            tables = panels.levels(ctx)
        elif self.panel == "gaps":
            tables = panels.gaps(ctx)
        elif self.panel == "elected":
            key_figures, tables = panels.elected(ctx)
        elif self.panel == "funnel":
            tables = panels.funnel(ctx)
        elif self.panel == "consolidated":
            tables = panels.consolidated(ctx, *_consolidation_data(self.collectivity))
        context.update(
            key_figures=key_figures, tables=tables, masked_note=panels.masked_note(key_figures, tables)
        )
        return context


META_KEYS = ("months", "competences", "areas", "job_profiles", "courses", "services")
#: Panels whose figures are not broken down by service: they say so when a service is chosen.
WHOLE_COLLECTIVITY_PANELS = ("gaps", "elected", "consolidated")


def snapshot_meta(collectivity) -> dict | None:
    """The snapshot's dates and lists (months, competences…) without its groups: one small query."""
    row = (
        CollectivitySnapshot.objects.filter(collectivity=collectivity, kind=CollectivitySnapshot.Kind.FIGURES)
        .annotate(**{f"meta_{key}": KeyTransform(key, "data") for key in META_KEYS})
        .values("pk", "computed_at", "watermark", *[f"meta_{key}" for key in META_KEYS])
        .first()
    )
    if row is None:
        return None
    return {key.removeprefix("meta_"): (value if value is not None else []) for key, value in row.items()}


def page_groups(pk: int, keys: list[str]) -> tuple[dict, dict]:
    """The groups a page shows, and the sizes of those groups and of their parent groups, in one query.

    A group is hidden when the rest of a parent group would be a small group (``panels.told_by_difference``):
    only the parents' sizes are read for that, not their figures.

    Returns:
        ``({key: group}, {key: size})``, without the groups the snapshot does not have.
    """
    parents = sorted({parent for key in keys for parent in panels.parent_groups(key)} - set(keys))
    groups = KeyTransform("groups", "data")
    annotations = {f"group_{i}": KeyTransform(key, groups) for i, key in enumerate(keys)}
    annotations |= {
        f"size_{i}": KeyTransform("size", KeyTransform(key, groups)) for i, key in enumerate(parents)
    }
    row = CollectivitySnapshot.objects.filter(pk=pk).annotate(**annotations).values(*annotations).get()
    found = {key: row[f"group_{i}"] for i, key in enumerate(keys) if row[f"group_{i}"] is not None}
    sizes = {key: group["size"] for key, group in found.items()}
    sizes |= {key: row[f"size_{i}"] for i, key in enumerate(parents) if row[f"size_{i}"] is not None}
    return found, sizes


def snapshot_groups(queryset_or_pk, keys: list[str]) -> dict | list[dict]:
    """Only the groups a page needs, extracted by the database (a snapshot holds dozens)."""
    if isinstance(queryset_or_pk, int):
        return page_groups(queryset_or_pk, keys)[0]
    annotations = {
        f"group_{i}": KeyTransform(key, KeyTransform("groups", "data")) for i, key in enumerate(keys)
    }
    rows = queryset_or_pk.annotate(**annotations).values(*annotations, "data__competences")
    return [
        {
            "competences": row["data__competences"],
            "groups": {key: row[f"group_{i}"] for i, key in enumerate(keys) if row[f"group_{i}"]},
        }
        for row in rows
    ]


def _needed_groups(panel, population, job_profile, data, service="all") -> list[str]:
    keys = {group_key(population, job_profile, service)}
    if panel == "elected":
        keys.add(group_key("elected_official"))
    if panel == "gaps":
        gap_population = population if population in ("all", "agent") else "all"
        keys |= {group_key(gap_population, j) for j in data["job_profiles"]}
    if panel == "consolidated":
        keys.add(group_key())
    return sorted(keys)


def _consolidation_data(collectivity):
    if collectivity.kind not in CONSOLIDATING_KINDS:
        return [], []
    members = consolidation.consenting_members(collectivity)
    peers = consolidation.similar_collectivities(collectivity)
    figures = CollectivitySnapshot.objects.filter(kind=CollectivitySnapshot.Kind.FIGURES)
    keys = [group_key(p) for p in ("all", "agent", "elected_official")]
    member_data = snapshot_groups(figures.filter(collectivity__in=members), keys)
    peer_data = snapshot_groups(figures.filter(collectivity__in=peers), [group_key()])
    return member_data, peer_data


def _display(value, minimum):
    if value is None:
        return f"< {minimum}"
    return value


def _csv_value(value, minimum):
    """A cell as the page writes it: « < 5 » for a hidden value, numbers in the active language (``13,2``),
    so that a spreadsheet set to that language reads them as numbers."""
    if value is None:
        return f"< {minimum}"
    if isinstance(value, bool | str):
        return value
    return formats.localize(value, use_l10n=True)


def _signed(trend):
    """A change as the page writes it (« +1 », « -2 », « 0 »), or nothing when there is none to show."""
    if trend is None:
        return None
    shown = formats.localize(trend, use_l10n=True)
    return f"+{shown}" if trend > 0 else shown


def _export_notes(context) -> list[str]:
    """The sentences the page shows above its figures, for the top of an export: what the figures cover."""
    minimum = context["min_group_size"]
    notes = []
    if context["whole_collectivity"]:
        notes.append(_("This page is not broken down by service: it shows the whole collectivity."))
    if context["snapshot"] is not None:
        computed = date_format(timezone.localtime(context["snapshot"]["computed_at"]), "DATETIME_FORMAT")
        notes.append(_("Figures computed on %(date)s.") % {"date": computed})
    else:
        notes.append(
            _(
                "The figures of this collectivity have not been computed yet. They will appear after the "
                "next aggregation run."
            )
        )
    notes.append(
        _("Groups of fewer than %(minimum)s people are hidden (“< %(minimum)s”).") % {"minimum": minimum}
    )
    if context.get("masked_note"):
        notes.append(context["masked_note"])
    return notes


def _export(kind: str, name: str, key_figures, tables, *, notes=(), applied_filters=()) -> HttpResponse:
    """CSV (``;``, UTF-8 with BOM, for spreadsheet software in French) or XLSX of the shown tables.

    ``notes`` (what the page says about its figures: the date, the masking, a filter applied to the whole
    collectivity) open the CSV, one per line, then ``applied_filters`` (``(label, value)``: which figures
    these are); they make the XLSX's last sheet. Key figures come with their change on the month before,
    as on the page. The CSV writes numbers as the page does, with the active language's decimal separator;
    the XLSX keeps them as numbers.
    """
    minimum = lms_settings.MIN_GROUP_SIZE
    blocks = []
    if key_figures:
        blocks.append(
            (
                _("Key figures"),
                [_("Figure"), _("Value"), _("Change on the month before")],
                [[f["label"], f["value"], f.get("trend")] for f in key_figures],
            )
        )
    blocks += [(table.title, table.columns, table.rows) for table in tables]
    filename = slugify(name)
    if kind == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = spreadsheets.NeutralisingWriter(csv.writer(buffer, delimiter=";"))
        for note in notes:
            writer.writerow([note])
        if notes:
            writer.writerow([])
        if applied_filters:
            writer.writerow([_("Filters")])
            writer.writerows([[label, value] for label, value in applied_filters])
            writer.writerow([])
        for index, (title, columns, rows) in enumerate(blocks):
            writer.writerow([title])
            writer.writerow(columns)
            if index == 0 and key_figures:
                rows = [[label, _csv_value(value, minimum), _signed(trend)] for label, value, trend in rows]
            else:
                rows = [[_csv_value(value, minimum) for value in row] for row in rows]
            writer.writerows(rows)
            writer.writerow([])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for index, (title, columns, rows) in enumerate(blocks):
        sheet = workbook.create_sheet(spreadsheets.sheet_title(f"{index + 1} {title}"))
        spreadsheets.append_row(sheet, [title])
        spreadsheets.append_row(sheet, columns)
        for row in rows:
            keep_empty = index == 0 and key_figures  # no change to show is an empty cell, not « < 5 »
            spreadsheets.append_row(
                sheet,
                [value if keep_empty and j == 2 else _display(value, minimum) for j, value in enumerate(row)],
            )
    if notes or applied_filters:
        sheet = workbook.create_sheet(spreadsheets.sheet_title(_("Notes")))
        for note in notes:
            spreadsheets.append_row(sheet, [note])
        if applied_filters:
            spreadsheets.append_row(sheet, [])
            spreadsheets.append_row(sheet, [_("Filters")])
            for label, value in applied_filters:
                spreadsheets.append_row(sheet, [label, value])
    output = io.BytesIO()
    workbook.save(output)
    response = HttpResponse(
        output.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def group_sizes(collectivity, keys: list[str]) -> dict:
    """The sizes of groups ``keys`` in the collectivity's snapshot, in one query (``{}`` without one)."""
    annotations = {
        f"size_{i}": KeyTransform("size", KeyTransform(key, KeyTransform("groups", "data")))
        for i, key in enumerate(keys)
    }
    row = (
        CollectivitySnapshot.objects.filter(collectivity=collectivity, kind=CollectivitySnapshot.Kind.FIGURES)
        .annotate(**annotations)
        .values(*annotations)
        .first()
    )
    return {key: row[f"size_{i}"] for i, key in enumerate(keys) if row and row[f"size_{i}"] is not None}


def _published_groups(population: str, job_profile: str, service: str) -> set[str]:
    """The group keys a dashboard may show for these filters (a job profile or a service is computed for
    everyone and for agents, never both together)."""
    if job_profile != "all" and service != "all":
        return set()
    if job_profile != "all" or service != "all":
        return {group_key(p, job_profile, service) for p in ("all", "agent")}
    return {group_key(population)}


def _live_groups(members: dict) -> dict[str, set[str]]:
    """The collectivity's published groups, from its memberships now: ``{group key: {actor, …}}``."""
    groups: dict[str, set[str]] = {}
    for actor, (role, job_profile, service, _name) in members.items():
        populations = ["all", role] if role in ("agent", "elected_official") else ["all"]
        for population in populations:
            groups.setdefault(group_key(population), set()).add(actor)
        for population in (p for p in populations if p in ("all", "agent")):
            if job_profile is not None:
                groups.setdefault(group_key(population, str(job_profile)), set()).add(actor)
            if service is not None:
                groups.setdefault(group_key(population, "all", str(service)), set()).add(actor)
    return groups


def _list_hidden(key: str, level: int, groups: dict, levels: dict, minimum: int) -> bool:
    """Whether the list of group ``key`` at ``level`` is hidden: as its figure on the dashboard, and so that
    no list, nor a difference of lists, names the people of a small figure.

    Hidden when the level is out of range; when the figure is hidden in its row (small, or hidden beside
    one, :func:`panels.suppress`); when the group is hidden because a larger group minus it is small
    (:func:`panels.told_by_difference`); and when someone of the list is in a small figure at that level of
    any group the dashboards show (everyone, agents, elected officials, a job profile, a service): everyone's
    list minus the agents', or minus every other job profile's, would otherwise name them.
    """
    if not 0 <= level < LEVEL_RANGE:
        return True
    people = groups.get(key, set())
    counts = [0] * LEVEL_RANGE
    for actor in people:
        reached = levels.get(actor, 0)
        if 0 <= reached < LEVEL_RANGE:
            counts[reached] += 1
    if not isinstance(panels.suppress(counts, minimum)[level], int):
        return True
    if panels.told_by_difference(key, {k: len(v) for k, v in groups.items()}, minimum):
        return True
    listed = {actor for actor in people if levels.get(actor, 0) == level}
    for members in groups.values():
        at_level = {actor for actor in members if levels.get(actor, 0) == level}
        if 0 < len(at_level) < minimum and at_level & listed:
            return True
    return False


def _is_id(value: str) -> bool:
    """An id in ASCII digits (``str.isdigit`` alone accepts « ² », which ``int`` refuses)."""
    return value.isascii() and value.isdigit()


class LearnersView(CollectivityScopeMixin, TitledHeaderMixin, WagtailAdminTemplateMixin, TemplateView):
    """The learners behind a figure (a competence at a level), for the viewer's own collectivity only.

    Each opening is recorded through the audit hook (``LMS_DRILLDOWN_AUDIT``).
    """

    template_name = "lms/dashboards/learners.html"
    page_title = gettext_lazy("Learners behind a figure")
    header_icon = "user"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not may_drill_down(self.request.user, self.collectivity):
            raise PermissionDenied  # people, not figures: only the collectivity's own HR managers
        try:
            competence = Competence.objects.get(pk=int(self.request.GET.get("competence", "")))
            level = int(self.request.GET.get("level", ""))
        except (ValueError, Competence.DoesNotExist) as error:
            raise Http404 from error
        population = self.request.GET.get("population", "all")
        job_profile = self.request.GET.get("job_profile", "all")
        service = self.request.GET.get("service", "all")
        if population not in ("all", "agent", "elected_official"):
            population = "all"
        if job_profile != "all" and not _is_id(job_profile) or service != "all" and not _is_id(service):
            raise Http404
        if service != "all" and not self.collectivity.services.filter(pk=int(service)).exists():
            raise Http404  # the figure of a service: only a service of this very collectivity
        key = group_key(population, job_profile, service)
        if key not in _published_groups(population, job_profile, service):
            raise Http404  # a group no dashboard shows: no list either
        members = {
            str(actor): (role, job, unit, name or username)
            for actor, role, job, unit, name, username in Membership.objects.filter(
                collectivity=self.collectivity, role__in=Membership.LEARNER_ROLES
            ).values_list(
                "user__lms_learner__actor_name",
                "role",
                "job_profile_id",
                "service_id",
                "user__last_name",
                "user__username",
            )
            if actor
        }
        # As the snapshot counts it: levels on older versions and crosswalked competences carry over.
        levels: dict[str, int] = {}
        for actor, reached in LearnerCompetenceLevel.objects.filter(
            actor_name__in=list(members),
            competence_id__in=carried_from(competence.pk),
            kind=EvidenceKind.VALIDATED,
        ).values_list("actor_name", "level"):
            levels[actor] = max(levels.get(actor, 0), reached)
        groups = _live_groups(members)
        people = groups.get(key, set())
        actors = sorted(actor for actor in people if levels.get(actor, 0) == level)
        # The dashboard's own rule on its snapshot, too: a group it does not show (not computed, or told by
        # difference) has no list, whatever the memberships say now.
        minimum = lms_settings.MIN_GROUP_SIZE
        sizes = group_sizes(self.collectivity, [key, *panels.parent_groups(key)]) if actors else {}
        if actors and (
            key not in sizes
            or panels.told_by_difference(key, sizes, minimum)
            or _list_hidden(key, level, groups, levels, minimum)
        ):
            actors = []
            context["hidden"] = True
        elif not 0 <= level < LEVEL_RANGE:
            context["hidden"] = True
        description = (
            f"competence={competence.pk} level={level} population={population} job_profile={job_profile} "
            f"service={service}"
        )
        consolidation.audit_drilldown(self.request, self.collectivity, description, actors)
        back = {"collectivity": self.collectivity.slug, "population": population, "job_profile": job_profile}
        if service != "all":
            back["service"] = service
        context.update(
            back_query=urlencode(back),
            collectivity=self.collectivity,
            competence=competence,
            level=level,
            learners=sorted(members[actor][3] for actor in actors),
            min_group_size=lms_settings.MIN_GROUP_SIZE,
        )
        return context


class RulesView(TitledHeaderMixin, WagtailAdminTemplateMixin, TemplateView):
    """« How levels are computed »: the evidence rules, in plain words for HR managers."""

    template_name = "lms/dashboards/rules.html"
    page_title = gettext_lazy("How levels are computed")
    header_icon = "help"

    def dispatch(self, request, *args, **kwargs):
        if not visible_collectivities(request.user).exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(rules=RULES, level_rules=LEVEL_RULES, min_group_size=lms_settings.MIN_GROUP_SIZE)
        return context
