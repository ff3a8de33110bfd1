"""The figures of every collectivity in one national pass (the nightly full rebuild).

The same figures as :func:`lms.analytics.figures.compute`, for all collectivities at once: one national level
grid (actor × competence × month), one table of groups (collectivity × population × job profile × service) and
group sums with ``numpy.bincount`` instead of one pandas pass per group. A group sum adds per-actor (or per
collectivity-and-actor "pair") values over the rows of an *assignment* table ``(group, pair)``.

The per-collectivity path (:func:`figures.compute`, used by the incremental refreshes) stays the reference:
``tests/lms/analytics/test_national.py`` checks that both give the same ``data`` for every collectivity.

The level arrays of a group (``levels``, ``mean``, ``assessed``, ``domains``, ``declared``) are returned as
C-contiguous numpy arrays, not lists: :func:`dumps` writes them straight to JSON (``orjson``, NaN as
``null``), about ten times faster than building 14 million Python integers for 200 snapshots.
"""

import hashlib
from dataclasses import dataclass

import numpy as np
import orjson
import pandas as pd

from lms.models.analytics import SNAPSHOT_JSON_OPTIONS
from lms.xapi import vocabulary as v

from . import figures
from .figures import ALL, LEVEL_RANGE, PERIODS, STAGES, positions

#: Above this many bins, group counts go through ``np.unique`` instead of ``np.bincount``.
MAX_BINS = 20_000_000
#: Assignment rows per chunk when counting levels (bounds the temporary key arrays).
CHUNK = 1024
#: Distinct (pair, course, stage) rows per chunk when counting the funnels.
FUNNEL_CHUNK = 65536
NO_ID = -1  # job profile or service "all" in the group table


@dataclass
class NationalInputs:
    """What the figures of every collectivity are computed from.

    Attributes:
        months: the ``M`` months shown, oldest first (``pandas.Period``).
        collectivities: the ids of the collectivities that get a snapshot.
        members: ``collectivity_id``, ``actor_name``, ``population``, ``job_profile_id``, ``service_id``.
        activity: ``collectivity_id``, ``actor_name``, ``m`` (month 1..M), ``stage`` (0..3, see
            :data:`figures.STAGES`; 3 is a completion), ``course`` (nullable) of the statements attributed
            to a collectivity in the window.
        history: validated level history: ``actor_name``, ``competence_id``, ``level``, ``reached_at``.
        declared: current declared levels: ``actor_name``, ``competence_id``, ``level``.
        competences: ``competence_id``, ``area_id`` in display order (grouped by area).
        courses: ``course`` (activity id), ``hours`` (estimated duration).
        targets: ``job_profile_id``, ``competence_id``, ``level``.
    """

    months: list
    collectivities: list[int]
    members: pd.DataFrame
    activity: pd.DataFrame
    history: pd.DataFrame
    declared: pd.DataFrame
    competences: pd.DataFrame
    courses: pd.DataFrame
    targets: pd.DataFrame


def group_table(collectivities: list[int], members: pd.DataFrame) -> pd.DataFrame:
    """One row per group of every collectivity, in snapshot order.

    Returns:
        ``collectivity_id``, ``population``, ``job_profile``, ``service`` (:data:`NO_ID` for "all"), ``key``.
    """
    job_profiles = _ids_by_collectivity(members, "job_profile_id")
    services = _ids_by_collectivity(members, "service_id")
    rows = []
    for collectivity in collectivities:
        specs = figures.group_specs(job_profiles.get(collectivity, []), services.get(collectivity, []))
        for population, job_profile, service in specs:
            rows.append(
                (
                    collectivity,
                    population,
                    NO_ID if job_profile == ALL else job_profile,
                    NO_ID if service == ALL else service,
                    figures.group_key(population, job_profile, service),
                )
            )
    return pd.DataFrame.from_records(
        rows, columns=["collectivity_id", "population", "job_profile", "service", "key"]
    )


def _ids_by_collectivity(members: pd.DataFrame, column: str) -> dict[int, list[int]]:
    pairs = members[["collectivity_id", column]].dropna().astype(int).drop_duplicates()
    pairs = pairs.sort_values(["collectivity_id", column])
    return {int(c): frame[column].tolist() for c, frame in pairs.groupby("collectivity_id")}


def member_assignment(members: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """The groups each member row belongs to: ``group``, ``row`` (distinct), as in :func:`figures.compute`.

    Everyone is in "all"; agents and elected officials in their population; members with a job profile
    (a service) in its "all" group and, for agents, in its "agent" group.
    """
    rows = np.arange(len(members))
    population = members["population"].to_numpy(dtype=object)
    job_profile = members["job_profile_id"].fillna(NO_ID).astype(np.int64).to_numpy()
    service = members["service_id"].fillna(NO_ID).astype(np.int64).to_numpy()
    agent = population == "agent"
    with_population = np.isin(population, [p for p in figures.POPULATIONS if p != "public"])
    parts = [
        (rows, ALL, NO_ID, NO_ID),
        (rows[with_population], population[with_population], NO_ID, NO_ID),
        (rows[job_profile != NO_ID], ALL, job_profile[job_profile != NO_ID], NO_ID),
        (rows[agent & (job_profile != NO_ID)], "agent", job_profile[agent & (job_profile != NO_ID)], NO_ID),
        (rows[service != NO_ID], ALL, NO_ID, service[service != NO_ID]),
        (rows[agent & (service != NO_ID)], "agent", NO_ID, service[agent & (service != NO_ID)]),
    ]
    collectivity = members["collectivity_id"].to_numpy(dtype=np.int64)
    frames = [
        pd.DataFrame(
            {
                "collectivity_id": collectivity[selected],
                "population": population_value,
                "job_profile": job_profile_value,
                "service": service_value,
                "row": selected,
            }
        )
        for selected, population_value, job_profile_value, service_value in parts
        if len(selected)
    ]
    if not frames:
        return pd.DataFrame({"group": pd.Series(dtype=np.int64), "row": pd.Series(dtype=np.int64)})
    assigned = pd.concat(frames, ignore_index=True)
    keys = ["collectivity_id", "population", "job_profile", "service"]
    indexed = groups[keys].assign(group=np.arange(len(groups)))
    merged = assigned.merge(indexed, on=keys, how="inner")
    return merged[["group", "row"]]


def group_sum(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum rows of ``values`` (``[n, ...]``) per ``group`` (``[n]``): ``[n_groups, ...]``."""
    out = np.zeros((n_groups, *values.shape[1:]), dtype=np.int64 if values.dtype.kind in "biu" else float)
    if len(group):
        np.add.at(out, group, values)
    return out


def level_counts(grid: np.ndarray, rows: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """How many actors of each group are at each level 0..8: from ``grid[a, ...]`` to ``[g, ..., 9]``.

    One ``bincount`` of ``(group, cell, level)`` keys per chunk of assignment rows sorted by group, so that
    each chunk only counts into the few groups it spans.

    Args:
        grid: levels per actor, any trailing shape (``[a, c, m]``, ``[a, c]``).
        rows: the actor (row of ``grid``) of each assignment row.
        group: the group of each assignment row.
        n_groups: the number of groups.
    """
    shape = grid.shape[1:]
    cells = int(np.prod(shape, dtype=np.int64))
    width = cells * LEVEL_RANGE
    flat = grid.reshape(len(grid), cells)
    counts = np.zeros((n_groups, width), dtype=np.int32)  # the largest arrays of the pass: half the memory
    order = np.argsort(group, kind="stable")
    rows, group = rows[order], group[order]
    offsets = np.arange(cells, dtype=np.int64) * LEVEL_RANGE
    for start in range(0, len(rows), CHUNK):
        chunk_rows, chunk_groups = rows[start : start + CHUNK], group[start : start + CHUNK]
        first = int(chunk_groups[0])
        span = int(chunk_groups[-1]) - first + 1
        keys = (chunk_groups - first)[:, None] * width + offsets[None, :] + flat[chunk_rows]
        counts[first : first + span] += np.bincount(keys.ravel(), minlength=span * width).reshape(span, width)
    return counts.reshape(n_groups, *shape, LEVEL_RANGE)


def _means(levels: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean level among assessed actors and how many were assessed, from level counts ``[g, ..., 9]``."""
    assessed = sizes.reshape(-1, *([1] * (levels.ndim - 2))) - levels[..., 0]
    totals = levels @ np.arange(LEVEL_RANGE, dtype=levels.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(assessed > 0, totals / np.maximum(assessed, 1), np.nan)
    return np.round(means, 2), assessed


def _progress_per_actor(grid: np.ndarray) -> np.ndarray:
    """Per actor: went up in month 1..M (``M`` columns), then over each of :data:`PERIODS`."""
    months = grid.shape[2] - 1
    if grid.shape[1] == 0:
        return np.zeros((grid.shape[0], months + len(PERIODS)), dtype=np.int64)
    monthly = (grid[:, :, 1:] > grid[:, :, :-1]).any(axis=1)
    periods = [(grid[:, :, months] > grid[:, :, max(months - p, 0)]).any(axis=1) for p in PERIODS]
    return np.column_stack([monthly, *periods]).astype(np.int64)


def _pairs(members: pd.DataFrame, activity: pd.DataFrame, actors: pd.Index):
    """Number (collectivity, actor) pairs of members and of activity; mark the member pairs."""
    member_actor = actors.get_indexer(members["actor_name"])
    activity_actor = positions(activity["actor_name"], actors)
    outsiders = activity_actor < 0
    if outsiders.any():
        codes, _ = pd.factorize(activity["actor_name"][outsiders].astype(str))
        activity_actor = activity_actor.copy()
        activity_actor[outsiders] = len(actors) + codes
    width = len(actors) + int(outsiders.sum()) + 1
    member_keys = members["collectivity_id"].to_numpy(dtype=np.int64) * width + member_actor
    activity_keys = activity["collectivity_id"].to_numpy(dtype=np.int64) * width + activity_actor
    keys, inverse = _distinct(np.concatenate([member_keys, activity_keys]))
    member_pair, activity_pair = inverse[: len(member_keys)], inverse[len(member_keys) :]
    is_member = np.zeros(len(keys), dtype=bool)
    is_member[member_pair] = True
    pair_collectivity = keys // width
    return member_pair, activity_pair, is_member, pair_collectivity


def _distinct(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True)`` for keys ≥ 0; by marking them when their range is small."""
    if not len(keys):
        return keys, keys
    top = int(keys.max()) + 1
    if top > MAX_BINS:
        return np.unique(keys, return_inverse=True)
    seen = np.zeros(top, dtype=bool)
    seen[keys] = True
    distinct = np.flatnonzero(seen)
    number = np.cumsum(seen, dtype=np.int32 if len(distinct) < 2**31 else np.int64) - 1
    return distinct, number[keys].astype(np.int64)


def _funnel_counts(pair, course, stage, bucket, n_buckets, assign_pair, assign_group, n_groups, n_courses):
    """Distinct learners per group, course, stage and period bucket: ``(group, course, stage, count)`` arrays.

    ``bucket`` numbers the period of each row (0: the shortest that holds its month, see :func:`_funnels`); a
    learner counts once per (course, stage), in the most recent bucket they reached it in. The returned
    ``stage`` is ``stage * n_buckets + bucket``: adding up the buckets ``0..i`` gives the funnel of period
    ``i``.
    """
    n_stages = len(STAGES) * n_buckets
    rows, _ = _distinct(((pair * n_courses + course) * len(STAGES) + stage) * n_buckets + bucket)
    if n_buckets > 1:
        # Rows are sorted: the first of each (pair, course, stage) has its smallest (most recent) bucket.
        base = rows // n_buckets
        rows = rows[np.r_[True, base[1:] != base[:-1]]]
    row_pair, rest = np.divmod(rows, n_courses * n_stages)
    order = np.argsort(assign_pair, kind="stable")
    sorted_pair, sorted_group = assign_pair[order], assign_group[order]
    starts = np.searchsorted(sorted_pair, row_pair, side="left")
    ends = np.searchsorted(sorted_pair, row_pair, side="right")
    repeats = ends - starts
    # Each distinct row once per group of its pair, a chunk of rows at a time (bounds the expanded arrays).
    dense = n_groups * n_courses * n_stages <= MAX_BINS
    totals = np.zeros(n_groups * n_courses * n_stages if dense else 0, dtype=np.int64)
    parts = []
    for start in range(0, len(rows), FUNNEL_CHUNK):
        chunk = slice(start, start + FUNNEL_CHUNK)
        chunk_repeats = repeats[chunk]
        expanded = np.repeat(starts[chunk] - np.cumsum(chunk_repeats) + chunk_repeats, chunk_repeats)
        expanded += np.arange(len(expanded))
        keys = sorted_group[expanded] * (n_courses * n_stages) + np.repeat(rest[chunk], chunk_repeats)
        if dense:
            totals += np.bincount(keys, minlength=len(totals))
        else:
            parts.append(keys)
    if dense:
        keys = np.flatnonzero(totals)
        counts = totals[keys]
    else:
        keys, counts = np.unique(np.concatenate([np.zeros(0, dtype=np.int64), *parts]), return_counts=True)
    group, rest = np.divmod(keys, n_courses * n_stages)
    course, stage = np.divmod(rest, n_stages)
    return group, course, stage, counts


def compute_all(inputs: NationalInputs) -> dict[int, dict]:
    """Compute the snapshot ``data`` of every collectivity (see :func:`figures.compute`).

    Returns:
        ``{collectivity_id: data}`` for each of ``inputs.collectivities``.
    """
    months = inputs.months
    n_months = len(months)
    members = inputs.members.drop_duplicates(["collectivity_id", "actor_name", "population"]).reset_index(
        drop=True
    )
    competences = pd.Index(inputs.competences["competence_id"])
    areas = inputs.competences["area_id"].to_numpy()
    area_starts = (
        np.flatnonzero(np.r_[True, areas[1:] != areas[:-1]]) if len(areas) else np.zeros(0, dtype=int)
    )
    actors = pd.Index(members["actor_name"].drop_duplicates())
    grid = figures.level_grid(inputs.history, actors, competences, months)
    domains = figures.domain_grid(grid, area_starts) if len(area_starts) else grid[:, :0, :]
    declared_grid = np.zeros((len(actors), len(competences)), dtype=np.int8)
    if not inputs.declared.empty:
        a = positions(inputs.declared["actor_name"], actors)
        c = competences.get_indexer(inputs.declared["competence_id"])
        keep = (a >= 0) & (c >= 0)
        declared_grid[a[keep], c[keep]] = inputs.declared["level"].to_numpy(dtype=np.int8)[keep]

    groups = group_table(inputs.collectivities, members)
    n_groups = len(groups)
    group_index = {
        (c, key): g for g, (c, key) in enumerate(zip(groups["collectivity_id"], groups["key"], strict=True))
    }
    assigned = member_assignment(members, groups)

    activity = inputs.activity
    activity = activity[(activity["m"] >= 1) & (activity["m"] <= n_months)]
    activity = activity[activity["collectivity_id"].isin(inputs.collectivities)]
    member_pair, activity_pair, is_member, pair_collectivity = _pairs(members, activity, actors)
    n_pairs = len(is_member)
    pair_actor = np.full(n_pairs, -1, dtype=np.int64)
    pair_actor[member_pair] = actors.get_indexer(members["actor_name"])

    # Members: distinct (group, pair); the level figures are per actor, the activity per pair.
    member_rows = pd.DataFrame(
        {"group": assigned["group"].to_numpy(), "pair": member_pair[assigned["row"].to_numpy()]}
    ).drop_duplicates()
    m_group = member_rows["group"].to_numpy(dtype=np.int64)
    m_actor = pair_actor[member_rows["pair"].to_numpy()]
    # Activity: members' groups, and for people who are not members, "all" and "public".
    outsiders = np.flatnonzero(~is_member)
    everyone = np.array([group_index[(int(c), figures.group_key())] for c in pair_collectivity[outsiders]])
    public = np.array(
        [group_index[(int(c), figures.group_key("public"))] for c in pair_collectivity[outsiders]]
    )
    a_group = np.concatenate([m_group, everyone.astype(np.int64), public.astype(np.int64)])
    a_pair = np.concatenate([member_rows["pair"].to_numpy(dtype=np.int64), outsiders, outsiders])

    # Level figures.
    sizes = np.bincount(m_group, minlength=n_groups)
    levels = level_counts(grid[:, :, 1:], m_actor, m_group, n_groups)
    means, assessed = _means(levels, sizes)
    domain_levels = level_counts(domains[:, :, 1:], m_actor, m_group, n_groups)
    declared = level_counts(declared_grid, m_actor, m_group, n_groups)
    progress = group_sum(_progress_per_actor(grid)[m_actor], m_group, n_groups)
    gaps = _gaps(grid[:, :, n_months], competences, inputs.targets, groups, m_actor, m_group, sizes)

    # Activity figures.
    stage = activity["stage"].to_numpy(dtype=np.int64)
    month = activity["m"].to_numpy(dtype=np.int64) - 1
    cell = activity_pair * n_months + month
    completed = stage == STAGES[v.COMPLETED.id]
    hours = _hour_units(activity["course"], inputs.courses)
    per_pair = np.stack(
        [
            np.bincount(cell, minlength=n_pairs * n_months) > 0,
            np.bincount(cell[completed], minlength=n_pairs * n_months),
            np.bincount(cell[completed], minlength=n_pairs * n_months) > 0,
            np.rint(np.bincount(cell[completed], weights=hours[completed], minlength=n_pairs * n_months)),
        ],
        axis=1,
    ).astype(np.int64)
    per_pair = per_pair.reshape(n_pairs, n_months, 4)
    monthly = group_sum(per_pair[a_pair], a_group, n_groups)
    # Distinct people who completed a course over each period (not a sum of the months: see figures).
    completed_in = per_pair[:, :, 2] > 0
    in_period = np.column_stack([completed_in[:, max(n_months - p, 0) :].any(axis=1) for p in PERIODS])
    period_completers = group_sum(in_period.astype(np.int64)[a_pair], a_group, n_groups).tolist()
    public_sizes = np.bincount(public.astype(np.int64), minlength=n_groups)
    funnels = _funnels(activity, activity_pair, a_pair, a_group, n_groups, n_months)
    no_funnel = {str(p): {} for p in figures.short_periods(n_months)}

    # Python lists for all groups at once (one conversion each instead of 2,800).
    active, completions, completers = (monthly[:, :, i].tolist() for i in range(3))
    hours = figures.hours_from_units(monthly[:, :, 3])
    progressed_monthly, progressed_periods = progress[:, :n_months].tolist(), progress[:, n_months:].tolist()
    group_sizes = np.where(groups["population"].to_numpy() == "public", public_sizes, sizes).tolist()
    results: dict[int, dict] = {}
    for collectivity, frame in groups.groupby("collectivity_id", sort=False):
        data_groups = {}
        job_profiles = sorted({int(j) for j in frame["job_profile"] if j != NO_ID})
        services = sorted({int(s) for s in frame["service"] if s != NO_ID})
        for g, job_profile, key in zip(
            frame.index.tolist(), frame["job_profile"].tolist(), frame["key"].tolist(), strict=True
        ):
            group = {
                "size": group_sizes[g],
                "monthly": {
                    "active": active[g],
                    "completions": completions[g],
                    "completers": completers[g],
                    "hours": hours[g],
                    "progressed": progressed_monthly[g],
                },
                "progressed": {str(p): progressed_periods[g][i] for i, p in enumerate(PERIODS)},
                "completers": {str(p): period_completers[g][i] for i, p in enumerate(PERIODS)},
                # The large arrays stay numpy arrays: see the module docstring.
                "levels": levels[g],
                "mean": means[g],
                "assessed": assessed[g],
                "domains": domain_levels[g],
                "declared": declared[g],
                "funnel": funnels.get(g, ({}, no_funnel))[0],
                "funnel_periods": funnels.get(g, ({}, no_funnel))[1],
            }
            if job_profile != NO_ID:
                group["gaps"] = gaps.get(g, [])
            data_groups[key] = group
        results[int(collectivity)] = figures.envelope(
            months, competences, areas[area_starts], job_profiles, services, data_groups
        )
    return results


def dumps(data: dict) -> str:
    """The canonical JSON text of a snapshot's ``data`` (numpy arrays included, keys sorted).

    Keys are sorted so that the same data always gives the same text, whose :func:`digest` tells a rebuild
    whether the stored snapshot changed (``jsonb`` keeps no key order, so nothing else depends on it).
    """
    return orjson.dumps(data, option=SNAPSHOT_JSON_OPTIONS).decode()


def digest(text: str) -> str:
    """The hash stored beside a snapshot (``CollectivitySnapshot.data_hash``) for its :func:`dumps` text."""
    return hashlib.sha256(text.encode()).hexdigest()


def _hour_units(courses: pd.Series, catalogue: pd.DataFrame) -> np.ndarray:
    """The estimated duration of each row's course, in :data:`figures.HOUR_UNITS` (0 when unknown)."""
    if catalogue.empty or courses.empty:
        return np.zeros(len(courses), dtype=float)
    units = pd.Series(figures.hour_units(catalogue["hours"]), index=catalogue["course"])
    units = units[~units.index.duplicated(keep="last")]
    if isinstance(courses.dtype, pd.CategoricalDtype):
        lookup = units.reindex(courses.cat.categories).fillna(0).to_numpy(dtype=float)
        codes = courses.cat.codes.to_numpy()
        return np.where(codes >= 0, lookup[codes], 0.0)
    return courses.map(units).fillna(0).to_numpy(dtype=float)


def _funnels(activity, activity_pair, a_pair, a_group, n_groups, n_months) -> dict[int, tuple[dict, dict]]:
    """Per group: the window's ``{course: [enrolled, started, passed, completed]}`` (distinct learners),
    and the same for each of :func:`figures.short_periods` (``{"3": {…}, "6": {…}}``), in one counting pass.
    """
    staged = activity["course"].notna().to_numpy()
    if not staged.any():
        return {}
    periods = [*figures.short_periods(n_months), n_months]
    n_buckets = len(periods)
    month = activity["m"].to_numpy(dtype=np.int64)[staged]
    # Bucket i: the rows of period i that are not in period i - 1 (periods sorted, the window last).
    bucket = np.zeros(len(month), dtype=np.int64)
    for p in periods[:-1]:
        bucket += month <= n_months - p
    codes, names = pd.factorize(activity["course"][staged])
    group, course, stage, counts = _funnel_counts(
        activity_pair[staged],
        codes.astype(np.int64),
        activity["stage"].to_numpy(dtype=np.int64)[staged],
        bucket,
        n_buckets,
        a_pair,
        a_group,
        n_groups,
        len(names),
    )
    names = [str(name) for name in names]
    n_stages = len(STAGES)
    stage, bucket = np.divmod(stage, n_buckets)
    # Period i adds up the buckets 0..i: each count is repeated into the periods from its bucket on.
    repeats = n_buckets - bucket
    period = np.repeat(bucket - np.cumsum(repeats) + repeats, repeats) + np.arange(int(repeats.sum()))
    cell = (np.repeat(group, repeats) * len(names) + np.repeat(course, repeats)) * n_buckets + period
    cells, inverse = np.unique(cell, return_inverse=True)
    table = np.rint(
        np.bincount(
            inverse * n_stages + np.repeat(stage, repeats),
            weights=np.repeat(counts, repeats),
            minlength=len(cells) * n_stages,
        )
    ).astype(np.int64)
    table = table.reshape(len(cells), n_stages)
    cell_group, rest = np.divmod(cells, len(names) * n_buckets)
    cell_course, cell_period = np.divmod(rest, n_buckets)
    keys = [str(p) for p in periods[:-1]]
    funnels: dict[int, tuple[dict, dict]] = {}
    for g, c, i, row in zip(
        cell_group.tolist(), cell_course.tolist(), cell_period.tolist(), table.tolist(), strict=True
    ):
        whole, by_period = funnels.get(g) or funnels.setdefault(g, ({}, {key: {} for key in keys}))
        (whole if i == n_buckets - 1 else by_period[keys[i]])[names[c]] = row
    return funnels


def _gaps(grid_now, competences, targets, groups, m_actor, m_group, sizes) -> dict[int, list[dict]]:
    """Per job-profile group: learners below each target and the mean gap (see :func:`figures.gaps`)."""
    result: dict[int, list[dict]] = {}
    profile_of_group = groups["job_profile"].to_numpy()
    for job_profile, frame in targets.groupby("job_profile_id", sort=False):
        in_profile = profile_of_group[m_group] == job_profile
        columns = competences.get_indexer(frame["competence_id"])
        valid = columns >= 0
        goal = frame["level"].to_numpy(dtype=int)[valid]
        levels = grid_now[m_actor[in_profile]][:, columns[valid]].astype(int)
        below = group_sum((levels < goal).astype(np.int64), m_group[in_profile], len(groups))
        gap = group_sum(np.clip(goal - levels, 0, None).astype(np.int64), m_group[in_profile], len(groups))
        ids = frame["competence_id"].to_numpy()[valid]
        for g in np.flatnonzero(profile_of_group == job_profile):
            if not sizes[g]:
                continue
            result[int(g)] = [
                {
                    "competence_id": int(competence_id),
                    "target": int(target),
                    "below": int(count),
                    "mean_gap": round(float(total / sizes[g]), 2),
                }
                for competence_id, target, count, total in zip(ids, goal, below[g], gap[g], strict=True)
            ]
    return result
