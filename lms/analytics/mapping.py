"""Levels follow the version and crosswalk mappings the admin defines (a pure step and its source).

A level reached on a competence counts, from the same date, on every competence that the mappings lead to
(:class:`~competences.models.CompetenceMapping`, followed transitively by
:func:`competences.services.mapping_closure`). The stored level history stays as the evidence says; the
carried rows are added where learners and HR read levels.
"""

import pandas as pd

from competences.services import mapping_closure as _closure_pairs

CLOSURE_COLUMNS = ["source_id", "target_id"]
#: The columns that identify a row of level history, besides the date (``kind`` may be absent).
_KEYS = ["actor_name", "competence_id", "kind", "level"]


def mapping_closure() -> pd.DataFrame:
    """Return the transitive closure of the competence mappings: one row per (``source_id``, ``target_id``).

    One query, read once per call: callers pass the frame to :func:`carry_over`.
    """
    return pd.DataFrame(sorted(_closure_pairs()), columns=CLOSURE_COLUMNS, dtype="int64")


def carry_over(history: pd.DataFrame, closure: pd.DataFrame) -> pd.DataFrame:
    """Add to a level history the rows the mappings carry it to, keeping the earliest date.

    Args:
        history: ``actor_name``, ``competence_id``, ``kind`` (optional), ``level``, ``reached_at``.
        closure: ``source_id``, ``target_id`` (see :func:`mapping_closure`).

    Returns:
        The history with a row for every competence reachable from one of its competences, and one row
        per (actor, competence, kind, level): the earliest ``reached_at``. Same columns as ``history``.
    """
    if history.empty or closure.empty:
        return history
    keys = [column for column in _KEYS if column in history.columns]
    ids = history["competence_id"].astype("int64")
    carried = (
        history.assign(competence_id=ids)
        .merge(closure, left_on="competence_id", right_on="source_id")
        .drop(columns=["competence_id", "source_id"])
        .rename(columns={"target_id": "competence_id"})
    )
    if carried.empty:
        return history
    combined = pd.concat([history.assign(competence_id=ids), carried[history.columns]], ignore_index=True)
    # observed=True: the national pass reads ``actor_name`` as a category; never build the cartesian product.
    earliest = combined.groupby(keys, as_index=False, sort=False, observed=True)["reached_at"].min()
    return earliest[list(history.columns)]


def carried_from(competence_id: int, closure: pd.DataFrame | None = None) -> list[int]:
    """Return ``competence_id`` and the competences whose levels the mappings carry to it.

    A learner's level on ``competence_id``, as the dashboards count it, is the highest of their levels on
    these competences.
    """
    closure = mapping_closure() if closure is None else closure
    sources = closure.loc[closure["target_id"] == competence_id, "source_id"]
    return [competence_id, *(int(source) for source in sources)]
