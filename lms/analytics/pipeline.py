"""Pure pandas steps from statements to evidence and level history (the rules of ``rules.py``).

Each step takes and returns small DataFrames; nothing here touches the database. The snapshot steps
(figures per month, population and job profile) are in :mod:`lms.analytics.figures`.
"""

import numpy as np
import pandas as pd

from lms.models import EvidenceKind

from . import rules

#: What the services read from the statement store: the evidence summary written beside each statement.
STATEMENT_COLUMNS = ["statement_id", "actor_name", "timestamp", "evidence"]
EVIDENCE_COLUMNS = ["statement_id", "actor_name", "competence_uri", "level", "kind", "source", "occurred_at"]
HISTORY_COLUMNS = ["actor_name", "competence_id", "kind", "level", "reached_at"]
LEVEL_COLUMNS = ["actor_name", "competence_id", "kind", "level", "reached_at"]


def _empty(columns) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})


def evidence_from_summaries(statements: pd.DataFrame) -> pd.DataFrame:
    """The evidence of statements, read from their evidence summaries (:func:`rules.evidence_summary`).

    Args:
        statements: :data:`STATEMENT_COLUMNS` (``evidence``: the summary, ``None`` for a statement without
            evidence).

    Returns:
        A frame with :data:`EVIDENCE_COLUMNS`, one row per (statement, competence, kind).
    """
    records = []
    for statement_id, actor_name, timestamp, summary in statements[STATEMENT_COLUMNS].itertuples(
        index=False, name=None
    ):
        if not isinstance(summary, str):
            continue
        source, items = rules.read_evidence_summary(summary)
        records.extend(
            (statement_id, actor_name, uri, level, kind, source, timestamp) for kind, level, uri in items
        )
    if not records:
        return _empty(EVIDENCE_COLUMNS)
    evidence = pd.DataFrame.from_records(records, columns=EVIDENCE_COLUMNS)
    evidence["level"] = evidence["level"].astype(int)
    return evidence


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
