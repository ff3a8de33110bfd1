"""Pure pandas steps from statements to evidence and level history (the rules of ``rules.py``).

Each step takes and returns small DataFrames; nothing here touches the database. The snapshot steps
(figures per month, population and job profile) are in :mod:`lms.analytics.figures`.
"""

import numpy as np
import pandas as pd

from lms.models import EvidenceKind
from lms.xapi import vocabulary as v

from . import rules

#: What the services read from the statement store (JSON paths extracted by the database).
STATEMENT_COLUMNS = [
    "statement_id",
    "actor_name",
    "verb",
    "timestamp",
    "validated",
    "declared",
    "source",
    "objectives",
]
EVIDENCE_COLUMNS = ["statement_id", "actor_name", "competence_uri", "level", "kind", "source", "occurred_at"]
HISTORY_COLUMNS = ["actor_name", "competence_id", "kind", "level", "reached_at"]
LEVEL_COLUMNS = ["actor_name", "competence_id", "kind", "level", "reached_at"]


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})


def _levels_listed(frame: pd.DataFrame, column: str, kind: str) -> pd.DataFrame:
    """Explode a ``[{"competence": uri, "level": n}]`` column into one row per valid (competence, level)."""
    listed = frame[frame[column].map(lambda value: isinstance(value, list) and len(value) > 0)]
    if listed.empty:
        return _empty(EVIDENCE_COLUMNS)
    exploded = listed[["statement_id", "actor_name", "timestamp", "source", column]].explode(column)
    items = exploded[column]
    is_dict = items.map(lambda item: isinstance(item, dict))
    exploded, items = exploded[is_dict], items[is_dict]
    if exploded.empty:
        return _empty(EVIDENCE_COLUMNS)
    details = pd.DataFrame.from_records(items.tolist(), columns=["competence", "level"])
    result = pd.DataFrame(
        {
            "statement_id": exploded["statement_id"].to_numpy(),
            "actor_name": exploded["actor_name"].to_numpy(),
            "competence_uri": details["competence"].to_numpy(),
            # Only JSON integers are levels (the SQL full rebuild applies the same rule).
            "level": details["level"]
            .map(lambda n: n if isinstance(n, int) and not isinstance(n, bool) else np.nan)
            .to_numpy(),
            "kind": kind,
            "source": exploded["source"].to_numpy(),
            "occurred_at": exploded["timestamp"].to_numpy(),
        }
    )
    valid = result["competence_uri"].map(lambda uri: isinstance(uri, str) and bool(uri)) & result[
        "level"
    ].between(rules.MIN_LEVEL, rules.MAX_LEVEL)
    return result[valid]


def extract_evidence(statements: pd.DataFrame) -> pd.DataFrame:
    """Apply :data:`lms.analytics.rules.RULES` to statements and return their evidence.

    * ``passed`` + ``validated-levels``: validated evidence (source: the source extension, else Tremplin);
    * any verb + ``declared-levels``: declared evidence;
    * ``completed`` with objectives in ``contextActivities.other``: training exposure (level 0);
    * anything else: no evidence. Voided statements are never read (see the services).

    Args:
        statements: :data:`STATEMENT_COLUMNS`.

    Returns:
        A frame with :data:`EVIDENCE_COLUMNS`, one row per (statement, competence, kind).
    """
    if statements.empty:
        return _empty(EVIDENCE_COLUMNS)
    statements = statements.assign(source=statements["source"].where(statements["source"].notna(), None))
    statements["source"] = statements["source"].map(
        lambda value: str(value)[:50] if isinstance(value, str) and value else rules.DEFAULT_SOURCE
    )
    validated = _levels_listed(
        statements[statements["verb"] == v.PASSED.id], "validated", EvidenceKind.VALIDATED.value
    )
    declared = _levels_listed(statements, "declared", EvidenceKind.DECLARED.value)
    exposure = _exposure(statements[statements["verb"] == v.COMPLETED.id])
    frames = [frame for frame in (validated, declared, exposure) if not frame.empty]
    if not frames:
        return _empty(EVIDENCE_COLUMNS)
    evidence = pd.concat(frames, ignore_index=True)
    evidence["level"] = evidence["level"].astype(int)
    return evidence.drop_duplicates(["statement_id", "competence_uri", "kind"], keep="first")[
        EVIDENCE_COLUMNS
    ].reset_index(drop=True)


def _exposure(completed: pd.DataFrame) -> pd.DataFrame:
    listed = completed[completed["objectives"].map(lambda value: isinstance(value, list) and len(value) > 0)]
    if listed.empty:
        return _empty(EVIDENCE_COLUMNS)
    exploded = listed[["statement_id", "actor_name", "timestamp", "source", "objectives"]].explode(
        "objectives"
    )
    uris = exploded["objectives"].map(
        lambda activity: (
            activity.get("id")
            if isinstance(activity, dict)
            and ((activity.get("definition") or {}).get("type") in (None, v.OBJECTIVE.id))
            else None
        )
    )
    exploded = exploded.assign(competence_uri=uris).dropna(subset=["competence_uri"])
    return pd.DataFrame(
        {
            "statement_id": exploded["statement_id"].to_numpy(),
            "actor_name": exploded["actor_name"].to_numpy(),
            "competence_uri": exploded["competence_uri"].to_numpy(),
            "level": 0,
            "kind": EvidenceKind.EXPOSURE.value,
            "source": exploded["source"].to_numpy(),
            "occurred_at": exploded["timestamp"].to_numpy(),
        }
    )


def level_history(evidence: pd.DataFrame) -> pd.DataFrame:
    """Date each level reached, per learner, competence and kind (validated or declared).

    Level ``n`` is reached at the earliest evidence of level ``n`` or more: each evidence row of level ``l``
    stands for levels ``1..l``. The result depends only on the set of evidence, not on the order in which
    it arrived, which is what makes the incremental path and the full rebuild agree.

    Args:
        evidence: columns ``actor_name``, ``competence_id``, ``kind``, ``level``, ``occurred_at``.

    Returns:
        A frame with :data:`HISTORY_COLUMNS`, sorted.
    """
    levelled = evidence[evidence["level"] > 0] if not evidence.empty else evidence
    if levelled.empty:
        return _empty(HISTORY_COLUMNS)
    counts = levelled["level"].to_numpy(dtype=int)
    repeated = levelled.loc[
        levelled.index.repeat(counts), ["actor_name", "competence_id", "kind", "occurred_at"]
    ]
    # Levels 1..l for a row of level l: a running number within each repeated block.
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    repeated = repeated.assign(level=np.arange(counts.sum()) - starts + 1)
    history = (
        repeated.groupby(["actor_name", "competence_id", "kind", "level"], sort=True)["occurred_at"]
        .min()
        .reset_index()
        .rename(columns={"occurred_at": "reached_at"})
    )
    return history[HISTORY_COLUMNS]


def current_levels(history: pd.DataFrame, evidence: pd.DataFrame) -> pd.DataFrame:
    """Return each learner's current level per competence: highest validated, latest declared.

    Args:
        history: :data:`HISTORY_COLUMNS` (validated rows are used).
        evidence: the declared evidence (``kind == "declared"``) is used; ties at the same instant keep
            the highest level.

    Returns:
        A frame with :data:`LEVEL_COLUMNS`.
    """
    frames = []
    validated = history[history["kind"] == EvidenceKind.VALIDATED.value] if not history.empty else history
    if not validated.empty:
        frames.append(
            validated.sort_values("level").drop_duplicates(["actor_name", "competence_id"], keep="last")
        )
    declared = evidence[evidence["kind"] == EvidenceKind.DECLARED.value] if not evidence.empty else evidence
    if not declared.empty:
        latest = declared.sort_values(["occurred_at", "level"]).drop_duplicates(
            ["actor_name", "competence_id"], keep="last"
        )
        frames.append(latest.rename(columns={"occurred_at": "reached_at"}))
    if not frames:
        return _empty(LEVEL_COLUMNS)
    result = pd.concat([frame[LEVEL_COLUMNS] for frame in frames], ignore_index=True)
    return result.sort_values(["actor_name", "competence_id", "kind"]).reset_index(drop=True)
