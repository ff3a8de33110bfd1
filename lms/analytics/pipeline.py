"""Pure pandas steps from statements to evidence, learner levels and collectivity figures.

Each step takes and returns small DataFrames; nothing here touches the database.
"""

import pandas as pd

from lms.xapi import vocabulary as v

EVIDENCE_COLUMNS = ["statement_id", "actor_name", "competence_uri", "level", "occurred_at"]
LEVEL_COLUMNS = ["actor_name", "competence_id", "level", "reached_at"]


def extract_evidence(statements: pd.DataFrame) -> pd.DataFrame:
    """Turn stored statements into validated evidence, one row per (statement, competence).

    Rule: a ``passed`` statement whose context carries the ``validated-levels`` extension validates each
    level it lists. Other statements (failed, completed, experienced…) are not evidence of a level.

    Args:
        statements: columns ``statement_id``, ``actor_name``, ``verb``, ``timestamp``, ``data``.

    Returns:
        A frame with :data:`EVIDENCE_COLUMNS`.
    """
    passed = statements[statements["verb"] == v.PASSED.id]
    if passed.empty:
        return pd.DataFrame(columns=EVIDENCE_COLUMNS)
    validated = pd.Series(
        [
            ((data.get("context") or {}).get("extensions") or {}).get(v.EXT_VALIDATED_LEVELS)
            for data in passed["data"]
        ],
        index=passed.index,
        name="validated",
    )
    frame = passed[["statement_id", "actor_name", "timestamp"]].join(validated).dropna(subset=["validated"])
    frame = frame.explode("validated").dropna(subset=["validated"])
    if frame.empty:
        return pd.DataFrame(columns=EVIDENCE_COLUMNS)
    details = pd.json_normalize(frame["validated"].tolist())
    frame = frame.reset_index(drop=True).assign(
        competence_uri=details["competence"], level=pd.to_numeric(details["level"], errors="coerce")
    )
    frame = frame.dropna(subset=["competence_uri", "level"])
    frame = frame[frame["level"].between(1, 8)]
    return frame.rename(columns={"timestamp": "occurred_at"})[EVIDENCE_COLUMNS].astype({"level": int})


def highest_levels(evidence: pd.DataFrame) -> pd.DataFrame:
    """Return each learner's highest validated level per competence and when it was first reached.

    Args:
        evidence: columns ``actor_name``, ``competence_id``, ``level``, ``occurred_at``.

    Returns:
        A frame with :data:`LEVEL_COLUMNS`, one row per (actor_name, competence_id).
    """
    if evidence.empty:
        return pd.DataFrame(columns=LEVEL_COLUMNS)
    ordered = evidence.sort_values(["level", "occurred_at"], ascending=[False, True])
    best = ordered.drop_duplicates(["actor_name", "competence_id"], keep="first")
    return best.rename(columns={"occurred_at": "reached_at"})[LEVEL_COLUMNS].reset_index(drop=True)


def levels_to_update(current: pd.DataFrame, candidates: pd.DataFrame) -> pd.DataFrame:
    """Keep the candidate levels that are new or higher than the stored ones.

    Args:
        current: stored levels (:data:`LEVEL_COLUMNS`).
        candidates: levels computed from new evidence (:data:`LEVEL_COLUMNS`).
    """
    if candidates.empty:
        return candidates
    merged = candidates.merge(
        current[["actor_name", "competence_id", "level"]],
        on=["actor_name", "competence_id"],
        how="left",
        suffixes=("", "_current"),
    )
    keep = merged["level"] > merged["level_current"].fillna(0)
    return merged.loc[keep, LEVEL_COLUMNS].reset_index(drop=True)


def level_distribution(levels: pd.DataFrame, learner_count: int, competence_ids: list[int]) -> list[dict]:
    """Count, for each competence, the learners at each level, and those with no validated level.

    Args:
        levels: the levels of the population's learners (``competence_id``, ``level``).
        learner_count: the size of the population.
        competence_ids: the competences to report, in display order.

    Returns:
        One dict per competence: ``competence_id``, ``counts`` (level as a string → learners),
        ``unassessed``.
    """
    table = pd.crosstab(levels["competence_id"], levels["level"]) if not levels.empty else pd.DataFrame()
    table = table.reindex(index=competence_ids, columns=range(1, 9), fill_value=0)
    assessed = table.sum(axis=1)
    return [
        {
            "competence_id": int(competence_id),
            "counts": {str(level): int(count) for level, count in row.items()},
            "unassessed": int(learner_count - assessed[competence_id]),
        }
        for competence_id, row in table.iterrows()
    ]
