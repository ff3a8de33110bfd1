"""From a snapshot and the filters to the tables and charts a dashboard shows (and exports).

Small groups are hidden here, once, for the page and its exports alike: a count of people below
``LMS_MIN_GROUP_SIZE`` becomes ``None`` (shown « < 5 »), and a figure computed over fewer people (a mean,
hours of training) too. Charts are drawn from the masked values, so they reveal no more than the tables.

Where the cells of a row add up to a number the page shows (a level distribution adds up to the group's size),
one hidden cell could be recovered by subtraction: :func:`suppress` then hides more cells (complementary
hiding), and every hidden cell of such a row reads « hidden », small or not. Figures that add up cells of a
hidden row (learners below a target) are hidden with it; a total over a series with one hidden value is hidden
too; and a group whose parent group minus itself would be a small group is not shown
(:func:`told_by_difference`).
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from lms.analytics.figures import LEVEL_RANGE, group_key
from lms.templatetags.lms_lang import other_language

from . import charts

PANELS = {
    "overview": gettext_lazy("Overview"),
    "growth": gettext_lazy("Skill growth"),
    "levels": gettext_lazy("Levels per competence"),
    "gaps": gettext_lazy("Job-profile gaps"),
    "elected": gettext_lazy("Elected officials"),
    "funnel": gettext_lazy("Course completion"),
    "consolidated": gettext_lazy("Members and benchmark"),
}
POPULATIONS = {
    "all": gettext_lazy("Everyone"),
    "agent": gettext_lazy("Agents"),
    "elected_official": gettext_lazy("Elected officials"),
    "public": gettext_lazy("Public"),
}
STAGE_NAMES = (
    gettext_lazy("Enrolled"),
    gettext_lazy("Started"),
    gettext_lazy("Passed an assessment"),
    gettext_lazy("Completed"),
)


@dataclass
class Table:
    """One table of a dashboard: what is shown, and exactly what is exported.

    ``rows`` start with a row header (text); other cells are numbers, text, or ``None`` for a hidden value.
    ``links`` maps ``(row, column)`` to a drill-down URL.
    """

    slug: str
    title: str
    columns: list[str]
    rows: list[list]
    chart: object = None
    links: dict = field(default_factory=dict)

    def cells(self):
        """Rows as ``(header, [(value, link), …])`` for the template."""
        for i, row in enumerate(self.rows):
            yield row[0], [(value, self.links.get((i, j))) for j, value in enumerate(row[1:], start=1)]


class Text(str):
    """A text of the page in another language than the page's (a DigComp title on a French page): the template
    marks it with ``lang`` (RGAA 8.7), exports read it as the text it is."""

    lang = ""

    @classmethod
    def of(cls, text: str, language: str) -> "str | Text":
        """``text`` as it is, or a :class:`Text` marked ``language`` when the page speaks another one."""
        language = other_language(language)
        if not language:
            return text
        marked = cls(text)
        marked.lang = language
        return marked


def label(code: str, title: str) -> "str | Text":
    """A competence's row header, « CRCN 2.1 Title », marked with its title's language if the title is."""
    text = f"{code} {title}"
    if not getattr(title, "lang", ""):
        return text
    marked = Text(text)
    marked.lang = title.lang
    return marked


@dataclass
class Names:
    """What the tables call things: competences, areas, courses, job profiles (read once per request)."""

    competences: dict  # id -> (code, title)
    areas: dict  # id -> title
    courses: dict  # activity id -> title
    tracks: dict  # activity id -> track title
    job_profiles: dict  # id -> name
    closing_courses: dict = field(default_factory=dict)  # (competence id, level) -> [course titles]
    services: dict = field(default_factory=dict)  # id -> name, of the shown collectivity only


@dataclass
class Context:
    data: dict
    group: dict
    months: list  # the months of the period (labels)
    offset: int  # index of the period's first month in the snapshot
    minimum: int
    names: Names
    population: str
    job_profile: str
    course: str
    drill: object = None  # callable(competence_id, level) -> url, or None
    sizes: dict = field(default_factory=dict)  # group key -> size, for the groups read and their parents


class Masked(str):
    """A cell hidden so that no other can be worked out from a total the page shows (« hidden »).

    Every cell hidden in such a table has this same label, small groups included: « < 5 » beside « hidden »
    would tell the reader which hidden cells are 1..minimum-1 and which are not.
    """


def masked() -> Masked:
    """The label of a cell hidden beside a known total, in the active language."""
    return Masked(_("hidden"))


def masked_note(key_figures: list[dict], tables: list[Table]) -> str:
    """The page's sentence on « hidden » cells, when it shows any (empty otherwise)."""
    cells = [figure["value"] for figure in key_figures] + [
        value for table in tables for row in table.rows for value in row[1:]
    ]
    if not any(isinstance(value, Masked) for value in cells):
        return ""
    return _(
        "“hidden”: figures hidden together, small groups and others alike, so that none can be worked out "
        "from a total the page shows."
    )


def people(count, minimum):
    """A count of people, or ``None`` when it is a small group (1..minimum-1)."""
    return None if count is not None and 0 < count < minimum else count


def over(value, count, minimum):
    """A figure computed over ``count`` people, hidden when they are too few."""
    return None if count is None or count < minimum else value


def _undisclosed(hidden: int, total: int, zero_hidden: bool, minimum: int) -> bool:
    """Whether ``hidden`` cells adding up to ``total`` (known to the reader) leave each two values or more.

    Each hidden cell is at least 1 unless a zero is among them: with k cells of at least L adding up to S,
    a cell lies between L and S - (k - 1)·L, two values or more when S > k·L.
    """
    least = 0 if zero_hidden else 1
    return hidden >= 2 and total >= minimum and total > hidden * least


def suppress(counts, minimum) -> list:
    """The cells of a row whose sum is known (the group's size), with enough of them hidden.

    Small counts (1..minimum-1) are hidden, then the smallest other non-zero cells (and, when none is left,
    zero cells) until no hidden cell can be told from the total (:func:`_undisclosed`). Every hidden cell is
    :func:`masked` (« hidden »), small or not, so that the label tells nothing about its value.
    """
    hidden = {i for i, n in enumerate(counts) if people(n, minimum) is None}
    if not hidden:
        return list(counts)
    others = sorted((n == 0, n, i) for i, n in enumerate(counts) if i not in hidden)
    for _zero, _n, i in others:
        total = sum(counts[j] for j in hidden)
        if _undisclosed(len(hidden), total, any(counts[j] == 0 for j in hidden), minimum):
            break
        hidden.add(i)
    return [masked() if i in hidden else n for i, n in enumerate(counts)]


def parent_groups(key: str) -> list[str]:
    """The groups that ``key`` is a part of, one level up: a figure of a parent minus the same figure of
    ``key`` is the figure of the rest of the parent.

    ``agent`` and ``elected_official`` are parts of ``all``; a job profile or a service is a part of its
    population's whole group, and its agents a part of everyone of that job profile or service. The public
    is no part of ``all`` and has no parent.
    """
    population, job_profile, service = (key.split("|") + ["all"] * 3)[:3]
    if population == "public":
        return []
    parents = []
    if job_profile != "all" or service != "all":
        parents.append(group_key(population))  # the population's whole group
    if population != "all":
        parents.append(group_key("all", job_profile, service))  # everyone of the same job profile or service
    return parents


def told_by_difference(key: str, sizes: dict, minimum: int) -> bool:
    """Whether showing group ``key`` would show a small group by subtraction: the rest of one of its parent
    groups (parent's size minus its size) is 1..minimum-1 people."""
    size = sizes.get(key)
    if size is None:
        return False
    return any(
        people(sizes[parent] - size, minimum) is None for parent in parent_groups(key) if parent in sizes
    )


def row_has_hidden_cells(group: dict, index: int, minimum: int) -> bool:
    """Whether the levels table hides cells of competence ``index`` (the last month of the window).

    A mean level shown beside such a row would give the hidden cells back (with two hidden cells, their sum
    and their weighted sum are two equations): the means of that row and month are hidden too.
    """
    levels = group["levels"]
    if index >= len(levels):
        return False
    return any(_number(value) is None for value in suppress(levels[index][-1], minimum))


def _number(value):
    """A cell as a chart reads it: hidden cells (``None`` or « hidden ») are not drawn."""
    return value if isinstance(value, int | float) else None


def period_funnel(ctx: Context, group: dict) -> tuple[dict, int]:
    """The group's funnel over the chosen period, and how many months it covers.

    The snapshot holds the window's funnel and one per shorter offered period; a snapshot written before the
    funnel was stored per period only has the window's, which is then shown for what it is.
    """
    months = len(ctx.months)
    window = ctx.offset + months
    stored = group.get("funnel_periods", {}).get(str(months)) if months < window else None
    if stored is not None:
        return stored, months
    return group["funnel"], window


def _period(values, ctx):
    return values[ctx.offset :]


def _mean(distribution):
    assessed = sum(distribution[1:])
    return (sum(k * n for k, n in enumerate(distribution)) / assessed, assessed) if assessed else (None, 0)


def overview(ctx: Context) -> tuple[list[dict], list[Table]]:
    """Key figures with their trend, and the month-by-month table behind them."""
    monthly, minimum = ctx.group["monthly"], ctx.minimum
    active = [people(x, minimum) for x in _period(monthly["active"], ctx)]
    completers = _period(monthly["completers"], ctx)
    hours = [over(h, c, minimum) for h, c in zip(_period(monthly["hours"], ctx), completers, strict=True)]
    completions = [
        over(n, c, minimum) for n, c in zip(_period(monthly["completions"], ctx), completers, strict=True)
    ]
    progressed = [people(x, minimum) for x in _period(monthly["progressed"], ctx)]
    period_hours = sum(_period(monthly["hours"], ctx))
    # Distinct people over the period (a sum of the months would count a person once per month).
    period_completers = ctx.group.get("completers", {}).get(str(len(ctx.months)), 0)
    shown_hours = over(round(period_hours, 1), period_completers, minimum)
    if shown_hours is not None and _hidden_term(hours, _period(monthly["hours"], ctx)):
        # The period's total minus the months shown would be the hidden months' hours.
        shown_hours = masked()
    key = [
        {"label": _("Learners"), "value": people(ctx.group["size"], minimum), "trend": None},
        {
            "label": _("Active learners last month"),
            # The snapshot's own month is still running: the last month is the one before it.
            "value": active[-2] if len(active) > 1 else None,
            "trend": _trend(active[-3] if len(active) > 2 else None, active[-2] if len(active) > 1 else None),
        },
        {
            "label": _("Hours of training in the period"),
            "value": shown_hours,
            "trend": None,
        },
        {
            "label": _("Learners who progressed at least one level"),
            "value": people(ctx.group["progressed"].get(str(len(ctx.months)), 0), minimum),
            "trend": None,
        },
    ]
    rows = [
        [month, a, c, h, p]
        for month, a, c, h, p in zip(ctx.months, active, completions, hours, progressed, strict=True)
    ]
    table = Table(
        "activity",
        _("Activity per month"),
        [
            _("Month"),
            _("Active learners"),
            _("Courses completed"),
            _("Hours of training"),
            _("Learners who progressed"),
        ],
        rows,
    )
    table.chart = charts.line_chart(
        "chart-activity",
        table.title,
        ctx.months,
        [(_("Active learners"), active), (_("Learners who progressed"), progressed)],
    )
    return key, [table]


def _hidden_term(shown: list, values: list) -> bool:
    """Whether a hidden value of a series is not zero: a total shown over the same series, minus the values
    shown, would be that value (or the sum of the hidden ones, over people the months hid one by one)."""
    return any(_number(cell) is None and value for cell, value in zip(shown, values, strict=True))


def _trend(before, after):
    if before is None or after is None:
        return None
    return after - before


def growth(ctx: Context) -> list[Table]:
    """Mean validated level per domain and per competence, month by month."""
    minimum = ctx.minimum
    tables = []
    domain_rows, domain_series = [], []
    for area_id, months in zip(ctx.data["areas"], ctx.group["domains"], strict=True):
        means = []
        for distribution in _period(months, ctx):
            mean, assessed = _mean(distribution)
            means.append(over(round(mean, 2), assessed, minimum) if mean is not None else None)
        title = ctx.names.areas.get(area_id, str(area_id))
        domain_rows.append([title, *means])
        domain_series.append((title, means))
    table = Table("domains", _("Mean validated level per domain"), [_("Domain"), *ctx.months], domain_rows)
    table.chart = charts.line_chart("chart-domains", table.title, ctx.months, domain_series)
    tables.append(table)
    rows = []
    for index, (competence_id, means, assessed) in enumerate(
        zip(ctx.data["competences"], ctx.group["mean"], ctx.group["assessed"], strict=True)
    ):
        code, title = ctx.names.competences.get(competence_id, ("?", ""))
        row = [over(m, n, minimum) for m, n in zip(_period(means, ctx), _period(assessed, ctx), strict=True)]
        if row and row_has_hidden_cells(ctx.group, index, minimum):
            row[-1] = None  # the month of the levels table, whose hidden cells the mean would give back
        rows.append([label(code, title), *row])
    tables.append(
        Table("competences", _("Mean validated level per competence"), [_("Competence"), *ctx.months], rows)
    )
    return tables


def levels(ctx: Context) -> list[Table]:
    """Level distribution per competence at the end of the period (heat map), validated and declared."""
    minimum, size = ctx.minimum, ctx.group["size"]
    rows, shares, links, labels = [], [], {}, []
    for i, (competence_id, months) in enumerate(
        zip(ctx.data["competences"], ctx.group["levels"], strict=True)
    ):
        code, title = ctx.names.competences.get(competence_id, ("?", ""))
        # The row adds up to the group's size: hide enough cells that none can be told by subtraction.
        counts = suppress(months[-1], minimum)
        rows.append([label(code, title), *counts[1:], counts[0]])
        labels.append(code)
        shares.append(
            [None if _number(n) is None else (n / size if size else 0) for n in [*counts[1:], counts[0]]]
        )
        if ctx.drill:
            for level in range(LEVEL_RANGE):
                if _number(counts[level]):
                    column = level if level else LEVEL_RANGE
                    links[(i, column)] = ctx.drill(competence_id, level)
    level_labels = [_("Level %(level)d") % {"level": level} for level in range(1, LEVEL_RANGE)]
    table = Table(
        "levels",
        _("Learners per validated level"),
        [_("Competence"), *level_labels, _("No validated level")],
        rows,
        links=links,
    )
    table.chart = charts.heat_map(
        "chart-levels", table.title, labels, [*map(str, range(1, LEVEL_RANGE)), "—"], shares
    )
    declared_rows = []
    group = ctx.group
    for index, (competence_id, declared, months, assessed) in enumerate(
        zip(ctx.data["competences"], group["declared"], group["mean"], group["assessed"], strict=True)
    ):
        code, title = ctx.names.competences.get(competence_id, ("?", ""))
        declared_mean, declared_count = _mean(declared)
        hidden_row = row_has_hidden_cells(ctx.group, index, minimum)
        declared_rows.append(
            [
                label(code, title),
                None if hidden_row else over(months[-1], assessed[-1], minimum),
                over(round(declared_mean, 2), declared_count, minimum) if declared_mean is not None else None,
                people(declared_count, minimum),
            ]
        )
    declared_table = Table(
        "declared",
        _("Validated and declared levels"),
        [
            _("Competence"),
            _("Mean validated level"),
            _("Mean declared level"),
            _("Learners who declared a level"),
        ],
        declared_rows,
    )
    return [table, declared_table]


def gaps(ctx: Context) -> list[Table]:
    """Gaps to the target levels of job profiles, with the courses that close them."""
    tables = []
    job_profiles = ctx.data["job_profiles"] if ctx.job_profile == "all" else [int(ctx.job_profile)]
    # Gaps are computed for everyone and for agents: for another population, titles say they cover everyone.
    population = ctx.population if ctx.population in ("all", "agent") else "all"
    fallback = population != ctx.population
    competence_index = {competence_id: i for i, competence_id in enumerate(ctx.data["competences"])}
    for job_profile in job_profiles:
        key = group_key(population, job_profile)
        group = ctx.data["groups"].get(key)
        if not group or group["size"] < ctx.minimum or told_by_difference(key, ctx.sizes, ctx.minimum):
            continue
        rows = []
        for gap in group.get("gaps", []):
            code, title = ctx.names.competences.get(gap["competence_id"], ("?", ""))
            courses = ctx.names.closing_courses.get((gap["competence_id"], gap["target"]), [])
            below = people(gap["below"], ctx.minimum)
            mean_gap = over(gap["mean_gap"], gap["below"], ctx.minimum)
            index = competence_index.get(gap["competence_id"])
            if index is None or row_has_hidden_cells(group, index, ctx.minimum):
                # Both add up cells of the group's levels row: beside hidden cells they would give them back.
                below, mean_gap = masked(), masked()
            # A gap no course closes says so: an empty cell would read as a figure hidden or forgotten.
            closing = ", ".join(courses) or _("No course of the catalogue yet")
            rows.append([label(code, title), gap["target"], below, mean_gap, closing])
        name = ctx.names.job_profiles.get(job_profile, str(job_profile))
        title = _("Gaps to the targets of “%(profile)s”") % {"profile": name}
        if fallback:
            title = _(
                "Gaps to the targets of “%(profile)s”, for everyone: gaps are not computed for "
                "elected officials or the public alone"
            ) % {"profile": name}
        tables.append(
            Table(
                f"gaps-{job_profile}",
                title,
                [
                    _("Competence"),
                    _("Target level"),
                    _("Learners below the target"),
                    _("Mean gap (levels)"),
                    _("Courses that close it"),
                ],
                rows,
            )
        )
    return tables


def funnel(ctx: Context, group=None, slug="funnel", title=None) -> list[Table]:
    """Learners at each stage of each course (enrolled, started, passed, completed), over the period.

    The course filter applies here only; the title says which months the table covers.
    """
    group = group or ctx.group
    stages_by_course, months = period_funnel(ctx, group)
    rows = []
    for course, stages in sorted(
        stages_by_course.items(), key=lambda item: ctx.names.courses.get(item[0], item[0])
    ):
        if ctx.course != "all" and course != ctx.course:
            continue
        rows.append([ctx.names.courses.get(course, course), *[people(n, ctx.minimum) for n in stages]])
    title = title or _("Completion funnel per course")
    table = Table(slug, _covering(title, months), [_("Course"), *map(str, STAGE_NAMES)], rows)
    if rows:
        table.chart = charts.bar_chart(
            f"chart-{slug}",
            table.title,
            [row[0] for row in rows],
            [(str(name), [row[1 + i] for row in rows]) for i, name in enumerate(STAGE_NAMES)],
        )
    return [table]


def _covering(title: str, months: int) -> str:
    return ngettext("%(title)s, last %(months)d month", "%(title)s, last %(months)d months", months) % {
        "title": title,
        "months": months,
    }


def elected(ctx: Context) -> tuple[list[dict], list[Table]]:
    """Training of elected officials: hours and active learners per month, tracks and courses followed."""
    elected_key = group_key("elected_official")
    group = ctx.data["groups"].get(elected_key)
    if not group or group["size"] < ctx.minimum or told_by_difference(elected_key, ctx.sizes, ctx.minimum):
        return [], []
    elected_ctx = Context(**{**ctx.__dict__, "group": group})
    key, tables = overview(elected_ctx)
    stages_by_course, months = period_funnel(ctx, group)
    rows = []
    for course, stages in sorted(stages_by_course.items()):
        rows.append(
            [
                ctx.names.courses.get(course, course),
                ctx.names.tracks.get(course, ""),
                people(stages[0], ctx.minimum),
                people(stages[3], ctx.minimum),
            ]
        )
    tables.append(
        Table(
            "elected-courses",
            _covering(_("Tracks and courses followed by elected officials"), months),
            [_("Course"), _("Track"), _("Enrolled"), _("Completed")],
            rows,
        )
    )
    return key, tables


def consolidated(ctx: Context, members: list[dict], peers: list[dict]) -> list[Table]:
    """An EPCI's consenting members added up, and an anonymous benchmark against similar collectivities.

    Args:
        members: the ``data`` of the consenting members' snapshots.
        peers: the ``data`` of similar collectivities' snapshots (same kind and size band).
    """
    minimum = ctx.minimum
    tables = []
    key = group_key(ctx.population if ctx.population != "public" else "all")
    groups = [m["groups"][key] for m in members if key in m["groups"]]
    if groups:
        months = len(ctx.months)
        active = [sum(g["monthly"]["active"][-months:][i] for g in groups) for i in range(months)]
        hours = [round(sum(g["monthly"]["hours"][-months:][i] for g in groups), 1) for i in range(months)]
        completers = [sum(g["monthly"]["completers"][-months:][i] for g in groups) for i in range(months)]
        rows = [
            [month, people(a, minimum), over(h, c, minimum)]
            for month, a, h, c in zip(ctx.months, active, hours, completers, strict=True)
        ]
        tables.append(
            Table(
                "members",
                _("Consenting member collectivities, added up (%(count)d)") % {"count": len(groups)},
                [_("Month"), _("Active learners"), _("Hours of training")],
                rows,
            )
        )
    peer_groups = [p["groups"]["all|all|all"] for p in peers if "all|all|all" in p["groups"]]
    if len(peer_groups) >= 3:
        rows = []
        own = ctx.data["groups"].get("all|all|all")
        for index, competence_id in enumerate(ctx.data["competences"]):
            code, title = ctx.names.competences.get(competence_id, ("?", ""))
            totals = [
                (g["mean"][index][-1] or 0) * g["assessed"][index][-1]
                for g in peer_groups
                if index < len(g["mean"])
            ]
            assessed = sum(g["assessed"][index][-1] for g in peer_groups if index < len(g["assessed"]))
            peer_mean = round(sum(totals) / assessed, 2) if assessed else None
            rows.append(
                [
                    label(code, title),
                    over(own["mean"][index][-1], own["assessed"][index][-1], minimum)
                    if own and not row_has_hidden_cells(own, index, minimum)
                    else None,
                    over(peer_mean, assessed, minimum),
                ]
            )
        tables.append(
            Table(
                "benchmark",
                _("Benchmark: similar collectivities (same kind and size, %(count)d, anonymous)")
                % {"count": len(peer_groups)},
                [
                    _("Competence"),
                    _("Mean validated level here"),
                    _("Mean validated level of similar collectivities"),
                ],
                rows,
            )
        )
    return tables
