"""Pure steps from a collectivity's members, activity and level history to its dashboard figures.

Everything is vectorised with numpy/pandas (no row-wise ``apply``). The figures are raw counts: small
groups are hidden when they are shown or exported (:mod:`lms.dashboards.figures`), never here, so that
the snapshot can be re-masked when ``LMS_MIN_GROUP_SIZE`` changes.

Conventions (documented for HR in ``docs/analytics.md``):

* months are calendar months in UTC; the window is the last ``LMS_DASHBOARD_MONTHS`` months up to the
  snapshot's month, plus the state before it (index 0 of the level grid);
* a learner's level at the end of a month is the highest validated level reached up to then;
* hours of training are the estimated durations of the courses completed in the month;
* a figure over a period (``progressed``, ``completers``, the funnel) counts distinct people over the period,
  so that it can be hidden on the number of people behind it;
* populations: ``agent`` and ``elected_official`` from memberships, ``public`` for activity attributed to
  the collectivity by people who are not its members; ``all`` is everyone of the collectivity.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lms.xapi import vocabulary as v
from lms.xapi.evidence import COURSE_STAGES

ALL = "all"
POPULATIONS = ("agent", "elected_official", "public")
LEVEL_RANGE = 9  # 0 (no validated level) .. 8
PERIODS = (3, 6, 12)
STAGES = COURSE_STAGES


#: Hours are summed in whole seconds, so that a sum does not depend on the order of its terms (the national
#: pass and the per-collectivity path add the same hours in different orders).
HOUR_UNITS = 3600


def group_key(population: str = ALL, job_profile=ALL, service=ALL) -> str:
    """The key of a group of people in a snapshot: ``population|job_profile|service``."""
    return f"{population}|{job_profile}|{service}"


def group_specs(job_profiles: list[int], services: list[int]) -> list[tuple]:
    """The groups of a snapshot, in order, as ``(population, job_profile, service)``.

    Everyone, each population, then per job profile and per service: everyone and the agents.
    """
    specs = [(ALL, ALL, ALL), *[(p, ALL, ALL) for p in POPULATIONS]]
    specs += [(population, j, ALL) for j in job_profiles for population in (ALL, "agent")]
    specs += [(population, ALL, s) for s in services for population in (ALL, "agent")]
    return specs


def member_ids(members: pd.DataFrame, column: str) -> list[int]:
    """The sorted distinct job profiles or services (``column``) of members."""
    return sorted({int(x) for x in members[column].dropna()})


@dataclass
class Inputs:
    """What the figures of one collectivity are computed from.

    Attributes:
        months: the ``M`` months shown, oldest first, as ``pandas.Period`` (monthly).
        members: ``actor_name``, ``population``, ``job_profile_id``, ``service_id`` (both nullable).
        activity: ``actor_name``, ``verb``, ``course``, ``timestamp`` of the statements attributed to it.
        history: validated level history: ``actor_name``, ``competence_id``, ``level``, ``reached_at``.
        declared: current declared levels of members: ``actor_name``, ``competence_id``, ``level``.
        competences: ``competence_id``, ``area_id`` in display order (grouped by area).
        courses: ``course`` (activity id), ``hours`` (estimated duration).
        targets: ``job_profile_id``, ``competence_id``, ``level``.
    """

    months: list
    members: pd.DataFrame
    activity: pd.DataFrame
    history: pd.DataFrame
    declared: pd.DataFrame
    competences: pd.DataFrame
    courses: pd.DataFrame
    targets: pd.DataFrame


def month_index(timestamps: pd.Series, months: list) -> np.ndarray:
    """Map timestamps to 1..M (their month in the window), 0 before it, M+1 after it."""
    if timestamps.empty:
        return np.zeros(0, dtype=int)
    return np.clip(_ordinals(timestamps) - months[0].ordinal + 1, 0, len(months) + 1)


def _ordinals(timestamps: pd.Series) -> np.ndarray:
    stamps = pd.to_datetime(timestamps, utc=True)
    return ((stamps.dt.year - 1970) * 12 + stamps.dt.month - 1).to_numpy(dtype=int)


def positions(values: pd.Series, index: pd.Index) -> np.ndarray:
    """``index.get_indexer(values)``, fast for categorical values (looked up once per category)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        lookup = index.get_indexer(values.cat.categories)
        codes = values.cat.codes.to_numpy()
        return np.where(codes >= 0, lookup[codes] if len(lookup) else -1, -1)
    return index.get_indexer(values)


def level_grid(history: pd.DataFrame, actors: pd.Index, competences: pd.Index, months: list) -> np.ndarray:
    """Return ``L[a, c, m]``: the validated level of each actor and competence at the end of month m.

    Index 0 of the last axis is the state before the window; 1..M the months.
    """
    grid = np.zeros((len(actors), len(competences), len(months) + 1), dtype=np.int8)
    if history.empty or not len(actors):
        return grid
    a = positions(history["actor_name"], actors)
    c = competences.get_indexer(history["competence_id"])
    m = month_index(history["reached_at"], months)
    keep = (a >= 0) & (c >= 0) & (m <= len(months))
    np.maximum.at(grid, (a[keep], c[keep], m[keep]), history["level"].to_numpy(dtype=np.int8)[keep])
    return np.maximum.accumulate(grid, axis=2)


def domain_grid(grid: np.ndarray, area_starts: np.ndarray) -> np.ndarray:
    """Per domain (area): the highest level among its competences (competences sorted by area)."""
    if grid.shape[1] == 0:
        return grid
    return np.maximum.reduceat(grid, area_starts, axis=1)


def distribution(grid: np.ndarray) -> np.ndarray:
    """Count actors at each level 0..8: from ``[a, x, m]`` to ``[x, m, 9]``."""
    return np.stack([(grid == level).sum(axis=0) for level in range(LEVEL_RANGE)], axis=-1)


def mean_levels(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean validated level among assessed actors, and how many were assessed: ``[x, m]`` each."""
    assessed = (grid > 0).sum(axis=0)
    totals = grid.sum(axis=0, dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(assessed > 0, totals / np.maximum(assessed, 1), np.nan)
    return np.round(means, 2), assessed


def progressed(grid: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    """Actors who went up at least one level in a competence: per month, and over each period."""
    months = grid.shape[2] - 1
    if grid.shape[0] == 0 or grid.shape[1] == 0:
        return np.zeros(months, dtype=int), {str(p): 0 for p in PERIODS}
    monthly = (grid[:, :, 1:] > grid[:, :, :-1]).any(axis=1).sum(axis=0)
    periods = {
        str(p): int((grid[:, :, months] > grid[:, :, max(months - p, 0)]).any(axis=1).sum()) for p in PERIODS
    }
    return monthly, periods


def prepare_activity(activity: pd.DataFrame, courses: pd.DataFrame, months: list) -> pd.DataFrame:
    """Add the month index, the funnel stage and the course's hours (in :data:`HOUR_UNITS`) to the rows."""
    if activity.empty:
        return activity.assign(
            m=pd.Series(dtype=int), stage=pd.Series(dtype=float), hours=pd.Series(dtype=float)
        )
    frame = activity.assign(m=month_index(activity["timestamp"], months), stage=activity["verb"].map(STAGES))
    frame = frame[(frame["m"] >= 1) & (frame["m"] <= len(months))]
    hours = frame["course"].map(courses.set_index("course")["hours"]) if not courses.empty else np.nan
    completed = frame["verb"] == v.COMPLETED.id
    return frame.assign(
        hours=np.where(completed, hour_units(pd.Series(hours, index=frame.index).fillna(0)), 0)
    )


def hour_units(hours) -> np.ndarray:
    """Hours as whole :data:`HOUR_UNITS` (integers add up the same in any order)."""
    return np.rint(np.asarray(hours, dtype=float) * HOUR_UNITS).astype(np.int64)


def hours_from_units(units) -> list[float]:
    """Summed hour units back to hours, rounded to a tenth."""
    return np.round(np.asarray(units, dtype=float) / HOUR_UNITS, 1).tolist()


def monthly_activity(frame: pd.DataFrame, months: int) -> dict[str, list]:
    """Learners active, courses completed, people who completed and hours of training, per month."""
    index = range(1, months + 1)
    completed = frame[frame["verb"] == v.COMPLETED.id]
    return {
        "active": frame.groupby("m")["actor_name"]
        .nunique()
        .reindex(index, fill_value=0)
        .astype(int)
        .tolist(),
        "completions": completed.groupby("m").size().reindex(index, fill_value=0).astype(int).tolist(),
        "completers": completed.groupby("m")["actor_name"]
        .nunique()
        .reindex(index, fill_value=0)
        .astype(int)
        .tolist(),
        "hours": hours_from_units(completed.groupby("m")["hours"].sum().reindex(index, fill_value=0)),
    }


def short_periods(n_months: int) -> list[int]:
    """The offered periods shorter than the window: the funnel is stored for each of them too.

    A period as long as the window (or longer) is the window itself, stored once as ``funnel``.
    """
    return [p for p in PERIODS if p < n_months]


def period_completers(frame: pd.DataFrame, months: int) -> dict[str, int]:
    """Distinct people who completed at least one course over each of :data:`PERIODS` (last n months).

    Hours of training over a period are hidden on this number, not on a sum of monthly counts (one person
    completing a course in five months is one person, not five).
    """
    completed = frame[frame["verb"] == v.COMPLETED.id]
    return {str(p): int(completed.loc[completed["m"] > months - p, "actor_name"].nunique()) for p in PERIODS}


def period_funnels(frame: pd.DataFrame, months: int) -> dict[str, dict[str, list[int]]]:
    """The :func:`funnel` of the last n months, for each of :func:`short_periods`."""
    return {str(p): funnel(frame[frame["m"] > months - p]) for p in short_periods(months)}


def funnel(frame: pd.DataFrame) -> dict[str, list[int]]:
    """Distinct learners per course at each stage: enrolled, started, passed, completed."""
    staged = frame.dropna(subset=["stage", "course"])
    if staged.empty:
        return {}
    counts = (
        staged.drop_duplicates(["course", "stage", "actor_name"])
        .groupby(["course", "stage"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=range(len(STAGES)), fill_value=0)
    )
    return {
        str(course): [int(x) for x in row]
        for course, row in zip(counts.index, counts.to_numpy(), strict=True)
    }


def gaps(grid_now: np.ndarray, competences: pd.Index, targets: pd.DataFrame) -> list[dict]:
    """For each target of a job profile: learners below it and the mean gap in levels.

    Args:
        grid_now: ``[a, c]`` current validated levels of the job profile's learners.
        competences: the competence ids of the grid's columns.
        targets: ``competence_id``, ``level`` of one job profile.
    """
    rows = []
    if targets.empty or grid_now.shape[0] == 0:
        return rows
    columns = competences.get_indexer(targets["competence_id"])
    target_levels = targets["level"].to_numpy(dtype=int)
    valid = columns >= 0
    levels = grid_now[:, columns[valid]].astype(int)
    goal = target_levels[valid]
    below = (levels < goal).sum(axis=0)
    mean_gap = np.clip(goal - levels, 0, None).mean(axis=0)
    for competence_id, target, count, gap in zip(
        targets["competence_id"].to_numpy()[valid], goal, below, mean_gap, strict=True
    ):
        rows.append(
            {
                "competence_id": int(competence_id),
                "target": int(target),
                "below": int(count),
                "mean_gap": round(float(gap), 2),
            }
        )
    return rows


def _jsonable(array) -> list:
    return (
        np.where(np.isnan(array), None, array).tolist()
        if np.issubdtype(np.asarray(array).dtype, np.floating)
        else np.asarray(array).tolist()
    )


def compute(inputs: Inputs) -> dict:
    """Compute every figure of one collectivity, for each group of people.

    Returns:
        The snapshot's ``data`` (see ``docs/analytics.md`` for its shape).
    """
    months = inputs.months
    n_months = len(months)
    members = inputs.members.drop_duplicates(["actor_name", "population"])
    actors = pd.Index(members["actor_name"].drop_duplicates())
    competences = pd.Index(inputs.competences["competence_id"])
    areas = inputs.competences["area_id"].to_numpy()
    area_starts = (
        np.flatnonzero(np.r_[True, areas[1:] != areas[:-1]]) if len(areas) else np.zeros(0, dtype=int)
    )
    grid = level_grid(inputs.history, actors, competences, months)
    domains = domain_grid(grid, area_starts) if len(area_starts) else grid[:, :0, :]
    activity = prepare_activity(inputs.activity, inputs.courses, months)
    member_set = set(actors)
    declared_grid = np.zeros((len(actors), len(competences)), dtype=np.int8)
    if not inputs.declared.empty:
        a = actors.get_indexer(inputs.declared["actor_name"])
        c = competences.get_indexer(inputs.declared["competence_id"])
        keep = (a >= 0) & (c >= 0)
        declared_grid[a[keep], c[keep]] = inputs.declared["level"].to_numpy(dtype=np.int8)[keep]

    groups: dict[str, dict] = {}
    job_profiles = member_ids(members, "job_profile_id")
    services = member_ids(members, "service_id")
    for population, job_profile, service in group_specs(job_profiles, services):
        selected = members
        if population not in (ALL, "public"):
            selected = selected[selected["population"] == population]
        if job_profile != ALL:
            selected = selected[selected["job_profile_id"] == job_profile]
        if service != ALL:
            selected = selected[selected["service_id"] == service]
        if population == "public":
            group_actors = pd.Index([])
            active = activity[~activity["actor_name"].isin(member_set)]
        else:
            group_actors = pd.Index(selected["actor_name"].drop_duplicates())
            everyone = population == ALL and job_profile == ALL and service == ALL
            active = activity if everyone else activity[activity["actor_name"].isin(set(group_actors))]
        mask = actors.get_indexer(group_actors)
        sub = grid[mask] if len(mask) else grid[:0]
        sub_domains = domains[mask] if len(mask) else domains[:0]
        monthly = monthly_activity(active, n_months)
        by_month, by_period = progressed(sub)
        monthly["progressed"] = by_month[:n_months].astype(int).tolist() if len(by_month) else [0] * n_months
        completers = period_completers(active, n_months)
        means, assessed = mean_levels(sub[:, :, 1:])
        declared = declared_grid[mask] if len(mask) else declared_grid[:0]
        group = {
            "size": int(len(group_actors)) if population != "public" else int(active["actor_name"].nunique()),
            "monthly": monthly,
            "progressed": by_period,
            "completers": completers,
            "levels": distribution(sub[:, :, 1:]).tolist(),
            "mean": _jsonable(means),
            "assessed": assessed.tolist(),
            "domains": distribution(sub_domains[:, :, 1:]).tolist(),
            "declared": distribution(declared[:, :, None])[:, 0, :].tolist() if len(competences) else [],
            "funnel": funnel(active),
            "funnel_periods": period_funnels(active, n_months),
        }
        if job_profile != ALL:
            group["gaps"] = gaps(
                sub[:, :, n_months],
                competences,
                inputs.targets[inputs.targets["job_profile_id"] == job_profile],
            )
        groups[group_key(population, job_profile, service)] = group
    return envelope(months, competences, areas[area_starts], job_profiles, services, groups)


def envelope(months, competences, areas, job_profiles, services, groups: dict) -> dict:
    """The ``data`` of a snapshot (format in docs/analytics.md § 4) around its computed groups.

    Shared by the per-collectivity path and the national pass, so that both write the same document.
    """
    return {
        "version": 3,
        "months": [str(month) for month in months],
        "competences": [int(c) for c in competences],
        "areas": [int(a) for a in areas],
        "job_profiles": job_profiles,
        "services": services,
        "courses": sorted({course for group in groups.values() for course in group["funnel"]}),
        "groups": groups,
    }
