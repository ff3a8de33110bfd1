"""Aggregation services: statements after the watermark → evidence → level history → snapshots.

They own their transactions; the Celery tasks (:mod:`lms.analytics.tasks`) only call them.

The watermark and the PostgreSQL gap. ``Statement.seq`` comes from a sequence: a transaction that took
``seq = 10`` may commit after another one that took ``seq = 11``. An incremental run that saw 11 and moved the
watermark past it would skip 10 for ever. So the watermark never moves past a *recent* hole in the
sequence: a missing ``seq`` whose following row was stored less than ``LMS_AGGREGATION_SAFETY_LAG`` seconds
ago, while a writing transaction that started before that row is still open (``pg_stat_activity``), is
presumed to be that transaction's, and the rows after it wait (at most the lag) with the watermark below
the hole. An older hole is a rolled-back transaction and is passed. A transaction open for
longer than the lag is caught by the nightly full rebuild, which recomputes everything from the statement
store and counts what differed.
"""

import gc
import io
import json
import logging
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from competences.models import Competence
from lms.conf import lms_settings
from lms.models import (
    AggregationState,
    Collectivity,
    CollectivitySnapshot,
    CompetenceEvidence,
    ErasedMember,
    EvidenceKind,
    Learner,
    LearnerCompetenceLevel,
    LearnerLevelHistory,
    Membership,
    PendingRun,
    Statement,
)
from lms.models.analytics import encode_snapshot_groups
from lms.xapi import vocabulary as v

from . import figures, national, pipeline, rules
from .mapping import carry_over, mapping_closure

logger = logging.getLogger(__name__)

LEVELS_PIPELINE = "levels"
BATCH_SIZE = 50_000
LEVEL_KINDS = (EvidenceKind.VALIDATED.value, EvidenceKind.DECLARED.value)


def _frame(queryset, columns) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(queryset.values_list(*columns)), columns=columns)


def oldest_writer_start():
    """When the oldest open transaction of another session that has written something began, or None.

    PostgreSQL only (``pg_stat_activity``; a transaction gets an xid when it first writes); None elsewhere.
    """
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
        )
        return cursor.fetchone()[0]


def safe_upper_bound(watermark: int, *, now=None, since=None) -> int:
    """Return the highest ``seq`` the watermark may move to (see the module docstring).

    Args:
        watermark: the current watermark.
        now: the current time (for tests).
        since: look at the holes whose next row was stored since then (default: within
            ``LMS_AGGREGATION_SAFETY_LAG``; older holes are left to the nightly full rebuild). Rows must be
            read after this returns: a transaction that commits meanwhile fills its hole, one still open is
            waited for.
    """
    top = Statement.objects.filter(seq__gt=watermark).aggregate(top=Max("seq"))["top"]
    if top is None:
        return watermark
    now = now or timezone.now()
    if since is None:
        since = now - timedelta(seconds=lms_settings.AGGREGATION_SAFETY_LAG)
    # The recent rows that follow a hole (their predecessor in the sequence is missing), found by the
    # database: a burst of ingestion or a bulk import stored within the lag makes every row recent (10⁶ seqs
    # and dates in Python took 30–49 s and 780 MB in the benchmark's first build), and there are few holes.
    after_holes = (
        Statement.objects.filter(seq__gt=watermark + 1, seq__lte=top, stored__gte=since)
        .filter(~Exists(Statement.objects.filter(seq=OuterRef("seq") - 1)))
        .order_by("seq")
        .values_list("seq", "stored")
    )
    for seq, stored in after_holes:
        if _hole_may_fill(stored):
            # Below the hole, however wide (a batch in flight takes several seqs): the last row before it.
            below = Statement.objects.filter(seq__gt=watermark, seq__lt=seq).aggregate(top=Max("seq"))["top"]
            return below if below is not None else watermark
    return top


def _hole_may_fill(successor_stored) -> bool:
    """Whether a missing ``seq`` may still be committed by a transaction in flight.

    On PostgreSQL: only if another transaction that has written something (it has an xid) started before
    the row after the hole was stored (one second of slack for clocks). Otherwise the hole is a rollback and
    nothing waits. Elsewhere (SQLite: one writer at a time) a recent hole is presumed in flight, to be safe.
    """
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL AND xact_start <= %s)",
            [successor_stored + timedelta(seconds=1)],
        )
        return cursor.fetchone()[0]


def _competence_ids() -> dict[str, int]:
    return dict(Competence.objects.values_list("uri", "pk"))


def _with_competence_ids(evidence: pd.DataFrame, competence_ids: dict[str, int]) -> pd.DataFrame:
    evidence = evidence.assign(competence_id=evidence["competence_uri"].map(competence_ids))
    evidence = evidence.dropna(subset=["competence_id"])
    return evidence.astype({"competence_id": int, "level": int})


def _read_evidence(queryset, competence_ids: dict[str, int]) -> pd.DataFrame:
    """Read the evidence summaries of the statements of ``queryset`` in batches of ``seq``; return the
    evidence.

    A statement counts unless it is voided: the ``voided`` flag the LRS sets, and only for a void it accepted
    (from the statement's own collectivity, or a platform-wide client; ``lms.xapi.storage``). A voiding
    statement received before its target does not void it, for the LRS as for the levels.
    """
    frames, last = [], 0
    columns = ["seq", *pipeline.STATEMENT_COLUMNS]
    statements = queryset.filter(voided=False, evidence__isnull=False)
    while True:
        batch = _frame(statements.filter(seq__gt=last).order_by("seq")[:BATCH_SIZE], columns)
        if batch.empty:
            break
        last = int(batch["seq"].max())
        frames.append(pipeline.evidence_from_summaries(batch))
        if len(batch) < BATCH_SIZE:
            break
    evidence = pd.concat(frames, ignore_index=True) if frames else pipeline._empty(pipeline.EVIDENCE_COLUMNS)
    return _with_competence_ids(evidence, competence_ids)


def _write_rows(model, frame: pd.DataFrame, columns: list[str]) -> None:
    """Insert rows fast: ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere."""
    if frame.empty:
        return
    records = frame[columns]
    if connection.vendor == "postgresql":
        db_columns = [model._meta.get_field(c).column for c in columns]
        sql = f"COPY {model._meta.db_table} ({', '.join(db_columns)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in records.itertuples(index=False, name=None):
                copy.write_row(row)
        return
    model.objects.bulk_create(
        [model(**dict(zip(columns, row, strict=True))) for row in records.itertuples(index=False, name=None)],
        batch_size=2000,
    )


def _upsert_rows(
    model, frame: pd.DataFrame, columns: list[str], unique: list[str], update: list[str]
) -> None:
    """Insert rows, or update ``update`` (nothing when empty) of those whose ``unique`` fields exist.

    On PostgreSQL: one ``COPY`` into a temporary table and one ``INSERT … ON CONFLICT``, instead of batches
    of parameterised statements.
    """
    if frame.empty:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            [model(**row) for row in frame[columns].to_dict("records")],
            update_conflicts=bool(update),
            ignore_conflicts=not update,
            unique_fields=unique or None if update else None,
            update_fields=update or None,
            batch_size=2000,
        )
        return
    table = model._meta.db_table
    db_columns = ", ".join(model._meta.get_field(c).column for c in columns)
    conflict = ", ".join(model._meta.get_field(c).column for c in unique)
    action = "NOTHING"
    if update:
        # A row whose values are already the stored ones is not rewritten (no new row version, no WAL).
        stored = ", ".join(f"{table}.{c}" for c in update)
        excluded = ", ".join(f"EXCLUDED.{c}" for c in update)
        action = (
            "UPDATE SET "
            + ", ".join(f"{c} = EXCLUDED.{c}" for c in update)
            + f" WHERE ROW({stored}) IS DISTINCT FROM ROW({excluded})"
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE lms_upsert ON COMMIT DROP AS SELECT {db_columns} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY lms_upsert ({db_columns}) FROM STDIN") as copy:
            for row in frame[columns].itertuples(index=False, name=None):
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({db_columns}) SELECT {db_columns} FROM lms_upsert "
            f"ON CONFLICT ({conflict}) DO {action}"
        )
        cursor.execute("DROP TABLE lms_upsert")


def _store_evidence(evidence: pd.DataFrame) -> None:
    if evidence.empty:
        return
    if connection.vendor == "postgresql":
        columns = ["statement_id", "actor_name", "competence_id", "level", "kind", "source", "occurred_at"]
        _upsert_rows(CompetenceEvidence, evidence, columns, ["statement_id", "competence_id", "kind"], [])
        return
    CompetenceEvidence.objects.bulk_create(
        [
            CompetenceEvidence(
                statement_id=row.statement_id,
                actor_name=row.actor_name,
                competence_id=row.competence_id,
                level=row.level,
                kind=row.kind,
                source=row.source,
                occurred_at=row.occurred_at,
            )
            for row in evidence.itertuples(index=False)
        ],
        ignore_conflicts=True,
        batch_size=2000,
    )


def _stored_evidence(actors) -> pd.DataFrame:
    queryset = CompetenceEvidence.objects.filter(kind__in=LEVEL_KINDS)
    if actors is not None:
        queryset = queryset.filter(actor_name__in=list(actors))
    return _frame(queryset, ["actor_name", "competence_id", "kind", "level", "occurred_at"])


def _replace_levels(actors: set[str], evidence: pd.DataFrame) -> None:
    """Replace the history and current levels of ``actors`` by those computed from ``evidence``."""
    history = pipeline.level_history(evidence)
    levels = pipeline.current_levels(history, evidence)
    actor_list = list(actors)
    for start in range(0, len(actor_list), 5000):
        chunk = actor_list[start : start + 5000]
        LearnerLevelHistory.objects.filter(actor_name__in=chunk).delete()
        LearnerCompetenceLevel.objects.filter(actor_name__in=chunk).delete()
    _write_rows(LearnerLevelHistory, history, pipeline.HISTORY_COLUMNS)
    _write_rows(LearnerCompetenceLevel, levels, pipeline.LEVEL_COLUMNS)


def _collectivities_of(actors: set[str]) -> set[int]:
    # Actors from outside (an LRS client) may have names that are not Tremplin learners' UUIDs.
    learners = [u for u in map(_uuid, actors) if u is not None]
    if not learners:
        return set()
    return set(
        Membership.objects.filter(
            user__lms_learner__actor_name__in=learners, role__in=Membership.LEARNER_ROLES
        ).values_list("collectivity_id", flat=True)
    )


class _Phases:
    """The durations of a run's consecutive phases, for its log line: ``lap(name)`` ends a phase."""

    def __init__(self):
        self.timings: dict[str, float] = {}
        self._clock = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = now - self._clock
        self._clock = now

    def __str__(self):
        return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.timings.items())


def process_new_statements() -> set[int]:
    """Turn the statements stored after the watermark into evidence, level history and current levels.

    Idempotent: evidence is unique per (statement, competence, kind) and the levels of every touched
    learner are recomputed from all their evidence, so running it again, or from a watermark of zero,
    gives the same rows as :func:`rebuild_levels`.

    Returns:
        The ids of the collectivities whose figures may have changed: those the new statements are
        attributed to, and those of the learners whose levels changed.
    """
    phases = _Phases()
    with transaction.atomic():
        state, _ = AggregationState.objects.select_for_update().get_or_create(name=LEVELS_PIPELINE)
        start = state.watermark
        upper = safe_upper_bound(start)
        phases.lap("bound")
        window = Statement.objects.filter(seq__gt=state.watermark, seq__lte=upper)
        new_voids = list(window.filter(verb=rules.VOIDED).values_list("object_id", flat=True))
        competence_ids = _competence_ids()
        phases.lap("voids")
        evidence = _read_evidence(window, competence_ids)
        phases.lap("read")
        _store_evidence(evidence)
        phases.lap("evidence")
        touched = set(evidence["actor_name"])
        if new_voids:
            # The targets the LRS voided (flagged): a void of a statement it did not void cancels nothing.
            voided = Statement.objects.filter(
                statement_id__in=[_uuid(t) for t in new_voids if _uuid(t)], voided=True
            ).values("statement_id")
            targets = CompetenceEvidence.objects.filter(statement_id__in=voided)
            touched |= set(targets.values_list("actor_name", flat=True))
            targets.delete()
        if new_voids:
            # A cancelled statement can lower a level or move a date: recompute those learners fully.
            _replace_levels(touched, _stored_evidence(touched))
        else:
            touched = _merge_levels(evidence)
        phases.lap("levels")
        collectivities = set(
            window.exclude(collectivity=None).values_list("collectivity_id", flat=True).distinct()
        )
        state.watermark = upper
        state.save(update_fields=["watermark", "updated_at"])
    collectivities |= _collectivities_of(touched)
    phases.lap("collectivities")
    if upper > start:
        logger.info(
            "Incremental levels (watermark %d → %d): %d evidence rows, %s.",
            start,
            upper,
            len(evidence),
            phases,
        )
    return collectivities


_HISTORY_KEYS = ["actor_name", "competence_id", "kind", "level"]


def _for_pairs(model, pairs: pd.DataFrame, columns: list[str], **filters) -> pd.DataFrame:
    """Rows of ``model`` for the given (actor_name, competence_id) pairs only."""
    queryset = model.objects.filter(**filters)
    if connection.vendor == "postgresql" and columns == pipeline.HISTORY_COLUMNS and set(filters) <= {"kind"}:
        # COPY, with the dates as exact integers (µs): ~10× faster than building datetimes row by row.
        table = model._meta.db_table
        frame = _copy_frame(
            f"SELECT actor_name, competence_id, kind, level, "
            f"(extract(epoch FROM reached_at) * 1000000)::bigint FROM {table} "
            "WHERE (actor_name, competence_id) IN "
            "(SELECT * FROM unnest(%(actors)s::varchar[], %(competences)s::int[]))"
            + (" AND kind = %(kind)s" if filters else ""),
            {
                "actors": pairs["actor_name"].tolist(),
                "competences": pairs["competence_id"].astype(int).tolist(),
                "kind": filters.get("kind"),
            },
            columns,
            {
                "actor_name": str,
                "competence_id": "int64",
                "kind": str,
                "level": "int64",
                "reached_at": "int64",
            },
        )
        frame["reached_at"] = pd.to_datetime(frame["reached_at"], unit="us", utc=True)
        return frame
    if connection.vendor == "postgresql":
        table = model._meta.db_table
        queryset = queryset.extra(
            where=[
                f"({table}.actor_name, {table}.competence_id) IN "
                "(SELECT * FROM unnest(%s::varchar[], %s::int[]))"
            ],
            params=[pairs["actor_name"].tolist(), pairs["competence_id"].astype(int).tolist()],
        )
        return _frame(queryset, columns)
    frame = _frame(queryset.filter(actor_name__in=pairs["actor_name"].unique().tolist()), columns)
    return frame.merge(pairs, on=["actor_name", "competence_id"])


def _utc(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame.assign(**{column: pd.to_datetime(frame[column], utc=True)})


def _merge_levels(evidence: pd.DataFrame) -> set[str]:
    """Fold new evidence (no cancellation among it) into the stored history and levels.

    The history is a minimum over evidence, so the history of old ∪ new evidence is the row-wise minimum
    of the stored history and the history of the new evidence: only the touched (learner, competence)
    pairs are read and only the rows that change are written.

    Returns:
        The actor names whose levels or dates changed.
    """
    levelled = evidence[evidence["kind"].isin(LEVEL_KINDS)]
    if levelled.empty:
        return set()
    levelled = _utc(levelled, "occurred_at")
    pairs = levelled[["actor_name", "competence_id"]].drop_duplicates()
    stored = _utc(_for_pairs(LearnerLevelHistory, pairs, pipeline.HISTORY_COLUMNS), "reached_at")
    merged = (
        pd.concat([stored, pipeline.level_history(levelled)], ignore_index=True)
        .groupby(_HISTORY_KEYS, as_index=False)["reached_at"]
        .min()
    )
    compared = merged.merge(stored, on=_HISTORY_KEYS, how="left", suffixes=("", "_stored"))
    changed = compared[
        compared["reached_at_stored"].isna() | (compared["reached_at"] < compared["reached_at_stored"])
    ]
    _upsert_rows(
        LearnerLevelHistory,
        changed,
        pipeline.HISTORY_COLUMNS,
        ["actor_name", "competence_id", "kind", "level"],
        ["reached_at"],
    )
    declared = _for_pairs(
        LearnerCompetenceLevel,
        pairs,
        ["actor_name", "competence_id", "kind", "level", "reached_at"],
        kind="declared",
    ).rename(columns={"reached_at": "occurred_at"})
    declared = pd.concat(
        [_utc(declared, "occurred_at"), levelled[levelled["kind"] == "declared"]], ignore_index=True
    )
    levels = pipeline.current_levels(merged, declared)
    _upsert_rows(
        LearnerCompetenceLevel,
        levels,
        pipeline.LEVEL_COLUMNS,
        ["actor_name", "competence_id", "kind"],
        ["level", "reached_at"],
    )
    return set(changed["actor_name"]) | set(levelled.loc[levelled["kind"] == "declared", "actor_name"])


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _table_frame(model, columns) -> pd.DataFrame:
    return _frame(model.objects.all(), columns)


def _difference(stored: pd.DataFrame, computed: pd.DataFrame, keys: list[str]) -> int:
    """Count rows present on one side only (comparing every column)."""
    if stored.empty and computed.empty:
        return 0
    stored = stored[keys].astype(str)
    computed = computed[keys].astype(str)
    merged = stored.merge(computed, how="outer", indicator=True)
    return int((merged["_merge"] != "both").sum())


def rebuild_levels(*, on_bound=None, changes: dict | None = None, before_commit=None) -> int:
    """Recompute evidence, history and levels from the whole statement store; check the stored rows.

    The nightly consistency check: what the incremental runs stored is compared with what a full
    computation gives, the difference is logged and recorded on the ``levels`` state, and the full
    computation replaces it.

    Args:
        on_bound: called with the upper bound (the new watermark) as soon as it is known, before the
            evidence is computed (see :func:`nightly_rebuild`).
        changes: a dict that receives, on PostgreSQL, ``{"history": rows, "levels": rows}``: the rows of
            the level history and of the current levels that the check found different (``levels`` is
            ``None`` for a first build, where everything is new).
        before_commit: called, without arguments, when everything is written, before the commit (while
            the ``levels`` state is still locked).

    Returns:
        The number of rows that differed (0 when the incremental path was right).
    """
    with transaction.atomic():
        state, _ = AggregationState.objects.select_for_update().get_or_create(name=LEVELS_PIPELINE)
        upper = safe_upper_bound(0)
        if on_bound is not None:
            on_bound(upper)
        if connection.vendor == "postgresql":
            mismatches = _rebuild_levels_in_postgresql(upper, changes)
        else:
            mismatches = _rebuild_levels_with_pandas(upper)
        state.watermark = upper
        state.checked_at = timezone.now()
        state.mismatches = mismatches
        state.save()
        if before_commit is not None:
            before_commit()
    if mismatches:
        logger.warning(
            "Full rebuild: %d level-history rows differed from the incremental results.", mismatches
        )
    return mismatches


def _rebuild_levels_with_pandas(upper: int) -> int:
    """The full rebuild with the pandas steps (SQLite, the embedded default)."""
    competence_ids = _competence_ids()
    evidence = _read_evidence(Statement.objects.filter(seq__lte=upper), competence_ids)
    levelled = evidence[evidence["kind"].isin(LEVEL_KINDS)]
    history = pipeline.level_history(levelled)
    history_columns = ["actor_name", "competence_id", "kind", "level", "reached_at"]
    stored_history = _table_frame(LearnerLevelHistory, history_columns)
    mismatches = _difference(_normalise(stored_history), _normalise(history), history_columns)
    CompetenceEvidence.objects.all().delete()
    LearnerLevelHistory.objects.all().delete()
    LearnerCompetenceLevel.objects.all().delete()
    _write_rows(
        CompetenceEvidence,
        evidence,
        ["statement_id", "actor_name", "competence_id", "level", "kind", "source", "occurred_at"],
    )
    _write_rows(LearnerLevelHistory, history, pipeline.HISTORY_COLUMNS)
    _write_rows(LearnerCompetenceLevel, pipeline.current_levels(history, levelled), pipeline.LEVEL_COLUMNS)
    return mismatches


#: The evidence columns each comparison hashes, in order, each with the hash function of its type (a row
#: hashes alike on both sides; see :func:`_row_hash`). Dates as ``float8`` seconds, whose hash takes all 8
#: bytes (``hashint8extended`` folds a 64-bit value to 32 bits first: it only takes the identifiers and
#: levels, which are small); distinct microseconds stay distinct floats until the year 2200.
_EVIDENCE_HASHED = [
    # What the evidence summary gives first: the evidence query hashes it once per distinct summary line.
    ("competence_id", "hashint8extended"),
    ("kind", "hashtextextended"),
    ("level", "hashint8extended"),
    ("source", "hashtextextended"),
    ("statement_id", "uuid_hash_extended"),
    ("actor_name", "hashtextextended"),
    ("date_part('epoch', occurred_at)", "hashfloat8extended"),
]
#: How many of :data:`_EVIDENCE_HASHED` come from the summary alone.
_SUMMARY_HASHED = 4
_LEVEL_HASHED = [
    ("actor_name", "hashtextextended"),
    ("competence_id", "hashint8extended"),
    ("kind", "hashtextextended"),
    ("level", "hashint8extended"),
    ("date_part('epoch', reached_at)", "hashfloat8extended"),
]


def _row_hash(columns: list[tuple[str, str]], seed: str = "0") -> str:
    """SQL: a 64-bit hash of a row's ``columns``, each hashed with the hash of the ones before as its seed.

    Every step mixes the whole 64-bit seed with the value (``hash_bytes_extended``), so that the hash is not
    linear in the columns' hashes: a sum of such hashes over the rows changes when two rows swap a value (the
    kinds of two levels, the dates of two learners), which a sum of ``hash_record_extended`` did not. Half the
    CPU of that record hash hashed again as text (the three pairs of checksums on the benchmark's tables,
    measured one after the other: 1.8 → 0.8 s).
    """
    for expression, function in columns:
        seed = f"{function}({expression}, {seed})"
    return seed


def _checksum_sql(rows: str, columns: list[tuple[str, str]]) -> str:
    """SQL: the number of ``rows`` and the exact sum (``numeric``) of a 64-bit hash of each row's ``columns``.

    Order does not matter and a duplicate counts twice; two different sets of rows get the same checksum only
    by a collision of 64-bit hashes (the idea of Percona's ``pt-table-checksum``).
    """
    return f"SELECT count(*), coalesce(sum({_row_hash(columns)}), 0) FROM ({rows}) AS r"


#: The evidence of the statements, read from their evidence summaries (:func:`rules.evidence_summary`,
#: written when each statement was stored) as :func:`lms.analytics.pipeline.evidence_from_summaries` reads
#: them, for the full rebuild on PostgreSQL (the property test checks that both give the same history): one
#: line per item after the source's line, whose competence IRI is looked up in the catalogue. What a summary
#: gives is computed in a ``LATERAL`` subquery that the planner caches per distinct summary (``Memoize``: the
#: same quiz gives the same summary to many learners; a few hundred distinct summaries at the benchmark's
#: size), ``summary_hash`` included (the hash of its columns, the start of :func:`_row_hash` for
#: :data:`_EVIDENCE_HASHED`): 1.9 → 0.9-1.3 s for the 650,000 items of the benchmark, against the same
#: expressions computed for every item. The subquery names the summary once (``e``): the cache's key is then
#: the summary alone (each of its three mentions was a key of its own, hashed and compared per statement).
#: Parameters are named.
_EVIDENCE_ITEMS = f"""
SELECT s.statement_id, s.actor_name, i.competence_id, i.level, i.kind, i.source, s.timestamp AS occurred_at,
       i.summary_hash
FROM lms_statement s CROSS JOIN LATERAL (
    SELECT i.*, {_row_hash(_EVIDENCE_HASHED[:_SUMMARY_HASHED])} AS summary_hash
    FROM (SELECT CASE WHEN left(e.evidence, 1) = '"' THEN split_part(e.evidence, E'\\n', 1)::jsonb #>> '{{}}'
                      ELSE %(default_source)s END AS source,
                 CASE left(line, 1) WHEN 'v' THEN 'validated' WHEN 'd' THEN 'declared' ELSE 'exposure' END
                     AS kind,
                 ascii(substr(line, 2, 1)) - 48 AS level,
                 (%(competences)s::jsonb ->> substr(line, 4))::int AS competence_id
          FROM (SELECT s.evidence OFFSET 0) AS e(evidence), string_to_table(e.evidence, E'\\n') AS line
          WHERE left(line, 1) IN ('v', 'd', 'e')
          OFFSET 0) AS i
    WHERE i.competence_id IS NOT NULL
    OFFSET 0) AS i
WHERE s.seq <= %(upper)s AND NOT s.voided AND s.evidence IS NOT NULL
"""
#: The evidence rows, kept for a first build and for a night when the stored evidence differs.
_EVIDENCE_SQL = (
    "CREATE TEMP TABLE lms_new_evidence ON COMMIT DROP AS SELECT statement_id, actor_name, competence_id, "
    f"level, kind, source, occurred_at FROM ({_EVIDENCE_ITEMS}) AS items"
)
#: The evidence query runs in one process. Alone it is faster in parallel workers (0.7 s against 1.2 s at the
#: benchmark's size, with ``parallel_tuple_cost`` lowered), but the nightly check runs beside the national
#: pass's reads, themselves parallel, on a machine whose cores they fill: there the parallel plan cost 1.5
#: core-seconds more and the nightly run took 5.5-5.9 s against 3.7-4.1 s (``make bench-analytics``, 27
#: November 2026). The lines of a summary are split by a ``LATERAL`` function, which the planner caches for a
#: summary already seen (``Memoize``: the same quiz gives the same summary to many learners).
_EVIDENCE_SETTINGS = {"max_parallel_workers_per_gather": "0"}
#: The levels a history row can have (the rules keep the others out of the evidence).
_LEVELS = range(rules.MIN_LEVEL, rules.MAX_LEVEL + 1)
_DATES = [f"d{level}" for level in _LEVELS]
#: An evidence item that counts towards a level (the history and current levels read only those).
_LEVELLED = "kind IN ('validated', 'declared') AND level > 0"
#: Level history from the evidence, one row per (learner, competence, kind), made in the same scan of the
#: statements as the evidence's checksum. ``d<n>`` is the date level n was reached — the earliest evidence
#: of level n or higher —, NULL when it was not; ``latest``, for declared levels, the latest evidence packed
#: as ``microseconds since 1970 << 4 | level`` (its highest level when several share that instant). One hash
#: aggregate (no sort, no window function, no expansion into rows before comparing); the history rows, the
#: current levels and the comparison with the stored history all read it. The items that count towards no
#: level (exposure, level 0) fall into one group whose key is NULL, removed once its ``items`` and ``hashed``
#: (count and sum of the rows' hashes, as :func:`_checksum_sql` computes them for the stored evidence) are
#: added up: the evidence rows themselves are only written when the checksums differ (or on a first build),
#: 0.3-0.6 s less in one process on a good night at the benchmark's size (writing 650,000 rows to a
#: temporary table, its ``ANALYZE`` and the second read of it; a first build reads the statements twice).
_NEW_GROUPS_SQL = (
    "CREATE TEMP TABLE lms_new_groups ON COMMIT DROP AS SELECT "
    + ", ".join(f"CASE WHEN levelled THEN {k} END AS {k}" for k in ("actor_name", "competence_id", "kind"))
    + ", "
    + ", ".join(f"min(occurred_at) FILTER (WHERE level >= {n}) AS d{n}" for n in _LEVELS)
    + ", max((extract(epoch FROM occurred_at) * 1000000)::int8 * 16 + level) "
    "FILTER (WHERE kind = 'declared') AS latest, count(*) AS items, "
    f"sum({_row_hash(_EVIDENCE_HASHED[_SUMMARY_HASHED:], 'summary_hash')}) AS hashed "
    f"FROM (SELECT i.*, {_LEVELLED} AS levelled FROM ({_EVIDENCE_ITEMS}) AS i OFFSET 0) AS e GROUP BY 1, 2, 3"
)
#: The checksum of the computed evidence (the shape of :func:`_checksum_sql`), from the groups.
_EVIDENCE_CHECKSUM = "SELECT coalesce(sum(items), 0)::int8, coalesce(sum(hashed), 0) FROM lms_new_groups"
_UNLEVELLED_GROUP = "DELETE FROM lms_new_groups WHERE actor_name IS NULL"
#: ``latest`` unpacked (seconds and microseconds apart: each exact in the ``float8`` that scales an interval).
_LATEST_AT = (
    "timestamptz 'epoch' + ((latest >> 4) / 1000000) * interval '1 second' "
    "+ ((latest >> 4) % 1000000) * interval '1 microsecond'"
)


def _history_rows(groups: str) -> str:
    """SQL: the history rows of ``groups`` (a table with the columns of ``lms_new_groups``), one per level."""
    levels = ", ".join(f"({n}, g.d{n})" for n in _LEVELS)
    return f"""SELECT g.actor_name, g.competence_id, g.kind, x.level, x.reached_at FROM {groups} g
               CROSS JOIN LATERAL (VALUES {levels}) AS x(level, reached_at) WHERE x.reached_at IS NOT NULL"""


#: The stored history in the same shape; ``other`` counts rows with a level out of the frameworks' range.
_STORED_GROUPS = (
    "SELECT actor_name, competence_id, kind, "
    + ", ".join(f"min(reached_at) FILTER (WHERE level = {n}) AS d{n}" for n in _LEVELS)
    + f", count(*) FILTER (WHERE level NOT BETWEEN {rules.MIN_LEVEL} AND {rules.MAX_LEVEL}) AS other "
    "FROM lms_learnerlevelhistory GROUP BY 1, 2, 3"
)
#: The history compared group by group (a full join of ~200,000 rows per side at the benchmark's size instead
#: of ~800,000 level rows; the stored side aggregated by parallel workers). ``lms_diff`` holds the groups
#: that differ with their computed dates, and ``differing`` the level rows that differ, counted as before:
#: a row on one side only counts once, a row with another date twice.
_HISTORY_DIFF_SQL = [
    "CREATE TEMP TABLE lms_diff ON COMMIT DROP AS SELECT coalesce(c.actor_name, s.actor_name) AS actor_name, "
    "coalesce(c.competence_id, s.competence_id) AS competence_id, coalesce(c.kind, s.kind) AS kind, "
    + ", ".join(f"c.d{n}" for n in _LEVELS)
    + ", "
    + " + ".join(
        f"CASE WHEN s.d{n} IS NOT DISTINCT FROM c.d{n} THEN 0 WHEN s.d{n} IS NULL OR c.d{n} IS NULL THEN 1 "
        "ELSE 2 END"
        for n in _LEVELS
    )
    + f""" + coalesce(s.other, 0) AS differing
    FROM ({_STORED_GROUPS}) s FULL JOIN lms_new_groups c
      ON s.actor_name = c.actor_name AND s.competence_id = c.competence_id AND s.kind = c.kind
    WHERE s.actor_name IS NULL OR c.actor_name IS NULL OR s.other > 0
       OR ({", ".join(f"s.{d}" for d in _DATES)}) IS DISTINCT FROM ({", ".join(f"c.{d}" for d in _DATES)})""",
    "SELECT coalesce(sum(differing), 0) FROM lms_diff",
    "DELETE FROM lms_learnerlevelhistory h USING lms_diff d "
    "WHERE h.actor_name = d.actor_name AND h.competence_id = d.competence_id AND h.kind = d.kind",
    "INSERT INTO lms_learnerlevelhistory (actor_name, competence_id, kind, level, reached_at) "
    + _history_rows("lms_diff"),
    "DROP TABLE lms_diff",
]
#: Current levels from the groups: the highest validated level, dated by its history (the earliest evidence
#: of that level, there being none higher); the latest declared one (ties: the highest level).
_COMPUTED_LEVELS = f"""
SELECT actor_name, competence_id, kind,
       CASE {" ".join(f"WHEN d{n} IS NOT NULL THEN {n}" for n in reversed(_LEVELS))} END AS level,
       coalesce({", ".join(reversed(_DATES))}) AS reached_at
FROM lms_new_groups WHERE kind = 'validated'
UNION ALL
SELECT actor_name, competence_id, kind, (latest & 15)::int AS level, {_LATEST_AT} AS reached_at
FROM lms_new_groups WHERE kind = 'declared'
"""
_EVIDENCE_COLUMNS = "statement_id, actor_name, competence_id, level, kind, source, occurred_at"


def _diff_sql(table: str, computed: str, keys: list[str], values: list[str]) -> list[str]:
    """SQL that compares ``table`` with the ``computed`` rows in one full join and applies the differences.

    Only the differing rows are materialised (``lms_diff``: ``stale`` is the id of a stored row to delete or
    update, the other columns the computed row); the first statement returns the number of rows that
    differ, counted as the set difference both ways (a changed row counts twice).
    """
    on = " AND ".join(f"s.{k} = c.{k}" for k in keys)
    changed = " OR ".join(f"s.{column} IS DISTINCT FROM c.{column}" for column in values)
    columns = ", ".join(keys + values)
    assign = ", ".join(f"{column} = d.{column}" for column in values)
    return [
        f"""CREATE TEMP TABLE lms_diff ON COMMIT DROP AS
            SELECT s.id AS stale, {", ".join(f"c.{column}" for column in keys + values)}
            FROM {table} s FULL JOIN ({computed}) c ON {on}
            WHERE s.id IS NULL OR c.{keys[0]} IS NULL OR {changed}""",
        f"SELECT count(*) + count(*) FILTER (WHERE stale IS NOT NULL AND {keys[0]} IS NOT NULL) "
        "FROM lms_diff",
        f"DELETE FROM {table} WHERE id IN (SELECT stale FROM lms_diff WHERE {keys[0]} IS NULL)",
        f"UPDATE {table} t SET {assign} FROM lms_diff d WHERE d.stale = t.id AND d.{keys[0]} IS NOT NULL",
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM lms_diff WHERE stale IS NULL",
        "DROP TABLE lms_diff",
    ]


_EVIDENCE_DIFF_SQL = _diff_sql(
    "lms_competenceevidence",
    f"SELECT {_EVIDENCE_COLUMNS} FROM lms_new_evidence",
    ["statement_id", "competence_id", "kind"],
    ["level", "source", "actor_name", "occurred_at"],
)
_LEVELS_DIFF_SQL = _diff_sql(
    "lms_learnercompetencelevel",
    _COMPUTED_LEVELS,
    ["actor_name", "competence_id", "kind"],
    ["level", "reached_at"],
)


def _history_groups_checksum() -> str:
    """SQL: the checksum of the history rows of ``lms_new_groups`` as :func:`_checksum_sql` gives it for the
    stored history, read from the groups without making the rows: the hash of (learner, competence, kind)
    once per group (``OFFSET 0`` keeps it from being inlined eight times), then the level and its date for
    each date the group has."""
    group = _row_hash(_LEVEL_HASHED[:3])  # learner, competence, kind
    sums = []
    for n in _LEVELS:
        level = _row_hash(
            [(str(n), "hashint8extended"), (f"date_part('epoch', d{n})", "hashfloat8extended")], "g"
        )
        sums.append(f"coalesce(sum({level}), 0)")
    counts = " + ".join(f"count(d{n})" for n in _LEVELS)
    groups = f"SELECT {group} AS g, {', '.join(_DATES)} FROM lms_new_groups OFFSET 0"
    return f"SELECT {counts}, {' + '.join(sums)} FROM ({groups}) AS r"


_HISTORY_GROUPS_CHECKSUM = _history_groups_checksum()
#: The three comparisons: name, stored table, checksum of the computed rows, SQL that applies the differences.
_COMPARISONS = [
    (
        "evidence",
        "lms_competenceevidence",
        _EVIDENCE_CHECKSUM,
        _EVIDENCE_HASHED,
        _EVIDENCE_DIFF_SQL,
    ),
    ("history", "lms_learnerlevelhistory", _HISTORY_GROUPS_CHECKSUM, _LEVEL_HASHED, _HISTORY_DIFF_SQL),
    (
        "levels",
        "lms_learnercompetencelevel",
        _checksum_sql(_COMPUTED_LEVELS, _LEVEL_HASHED),
        _LEVEL_HASHED,
        _LEVELS_DIFF_SQL,
    ),
]


#: A first build (empty tables): bulk inserts, the indexes built once afterwards.
_FIRST_BUILD_SQL = [
    f"INSERT INTO lms_competenceevidence ({_EVIDENCE_COLUMNS}) "
    f"SELECT {_EVIDENCE_COLUMNS} FROM lms_new_evidence",
    "INSERT INTO lms_learnerlevelhistory (actor_name, competence_id, kind, level, reached_at) "
    + _history_rows("lms_new_groups"),
    f"""INSERT INTO lms_learnercompetencelevel (actor_name, competence_id, kind, level, reached_at)
        {_COMPUTED_LEVELS}""",
]


_LEVEL_TABLES = ("lms_competenceevidence", "lms_learnerlevelhistory", "lms_learnercompetencelevel")


def _drop_indexes(cursor, tables) -> list[str]:
    """Drop the secondary indexes and unique constraints of ``tables``; return the SQL that recreates them.

    Building an index once after a bulk load is several times faster than maintaining it row by row. All of
    this happens in the rebuild's transaction: readers never see the tables without their indexes.
    """
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid::regclass::text = ANY(%s) AND contype = 'u'",
        [list(tables)],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        [list(tables)],
    )
    indexes = cursor.fetchall()
    for table, name, _definition in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in indexes] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for table, name, definition in constraints
    ]


def _rebuild_levels_in_postgresql(upper: int, changes: dict | None = None) -> int:
    """The full rebuild as set-based SQL: the same rules, at the speed of a scan of the statements.

    The evidence is computed once (a temporary table), then the history in one row per (learner, competence,
    kind) (``lms_new_groups``); evidence, history and current levels are each compared with the stored rows,
    first by a checksum of each side (:func:`_checksum_sql`), then, only when the checksums differ, in one
    full join, so only the differences are materialised and written — none on a night when the incremental
    runs were right.
    """
    params = {
        "upper": upper,
        "default_source": rules.DEFAULT_SOURCE,
        "competences": json.dumps(_competence_ids()),
    }
    phases = _Phases()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '256MB'")
        # Compiling this query costs more than the JIT saves (~1.5 s of LLVM work for a few seconds' run).
        cursor.execute("SET LOCAL jit = off")
        with _local_settings(cursor, _EVIDENCE_SETTINGS):
            cursor.execute(_NEW_GROUPS_SQL, params)
        computed = {}
        cursor.execute(_EVIDENCE_CHECKSUM)
        computed["evidence"] = cursor.fetchone()
        cursor.execute(_UNLEVELLED_GROUP)
        phases.lap("evidence")

        def evidence_rows():
            """The evidence rows themselves (``lms_new_evidence``), for writing them."""
            with _local_settings(cursor, _EVIDENCE_SETTINGS):
                cursor.execute(_EVIDENCE_SQL, params)
            cursor.execute("ANALYZE lms_new_evidence")

        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM lms_competenceevidence) OR EXISTS (SELECT 1 FROM "
            "lms_learnerlevelhistory) OR EXISTS (SELECT 1 FROM lms_learnercompetencelevel)"
        )
        differing = {"history": None, "levels": None}
        if cursor.fetchone()[0]:
            analysed = False
            for name, table, checksum, columns, statements in _COMPARISONS:
                # Checksums first: two scans and no join on a night when nothing differs (most nights).
                cursor.execute(_checksum_sql(f"SELECT * FROM {table}", columns))
                stored = cursor.fetchone()
                if name not in computed:
                    cursor.execute(checksum)
                    computed[name] = cursor.fetchone()
                if computed[name] == stored:
                    differing[name] = 0
                    phases.lap(f"{name} checksum")
                    continue
                if name == "evidence":
                    evidence_rows()
                if not analysed:
                    # Statistics for the joins of the comparisons (0.1 s at the benchmark's size): the
                    # checksums only scan the groups.
                    cursor.execute("ANALYZE lms_new_groups")
                    analysed = True
                for statement in statements:
                    cursor.execute(statement)
                    if statement.startswith("SELECT"):
                        differing[name] = int(cursor.fetchone()[0])
                phases.lap(f"{name} diff")
            mismatches = differing["history"]
        else:
            evidence_rows()
            # Deferred foreign-key checks of rows written earlier in the transaction would forbid the DDL.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            rebuild = _drop_indexes(cursor, _LEVEL_TABLES)
            for statement in _FIRST_BUILD_SQL:
                cursor.execute(statement)
                if "lms_learnerlevelhistory" in statement:
                    mismatches = cursor.rowcount
            for statement in rebuild:
                cursor.execute(statement)
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            differing["history"] = mismatches
            phases.lap("first build")
        cursor.execute("DROP TABLE lms_new_groups")
        cursor.execute("DROP TABLE IF EXISTS lms_new_evidence")
    logger.info("Full rebuild of levels: %s.", phases)
    if changes is not None:
        changes.update(history=differing["history"], levels=differing["levels"])
    return int(mismatches)


def _normalise(history: pd.DataFrame) -> pd.DataFrame:
    if history.empty:
        return history
    return history.assign(
        actor_name=history["actor_name"].astype(str),
        competence_id=history["competence_id"].astype(int),
        level=history["level"].astype(int),
        reached_at=pd.to_datetime(history["reached_at"], utc=True),
    )


def level_history_frame() -> pd.DataFrame:
    """Return the stored level history (for tests and the consistency check)."""
    return (
        _normalise(_table_frame(LearnerLevelHistory, pipeline.HISTORY_COLUMNS))
        .sort_values(pipeline.HISTORY_COLUMNS)
        .reset_index(drop=True)
    )


class _InBackground:
    """Run a read on a second database connection, in a thread, while this one works.

    The thread has its own connection (Django's are per thread), closed when the read ends. It sees only
    committed rows: start one only outside a transaction that wrote what it reads.
    """

    def __init__(self, function, *args, **kwargs):
        self._result = self._error = None
        self._thread = threading.Thread(
            target=self._run, args=(function, args, kwargs), name="lms-analytics-read", daemon=True
        )
        self._thread.start()

    def _run(self, function, args, kwargs):
        try:
            self._result = function(*args, **kwargs)
        except BaseException as error:  # handed to result()
            self._error = error
        finally:
            connection.close()

    def wait(self) -> None:
        """Wait for the read to end (its connection is then closed)."""
        self._thread.join()

    def result(self):
        """Wait for the read; return its result or raise its error."""
        self.wait()
        if self._error is not None:
            raise self._error
        return self._result


def nightly_rebuild(*, now=None) -> dict:
    """The nightly full rebuild: every level recomputed and checked, then every snapshot in one national pass.

    On PostgreSQL, run outside a transaction (as the Celery task runs), the national pass's largest read — the
    members, the catalogue and the year's activity, which come from the statements and not from the levels
    — runs on a second connection from the moment the levels' upper bound is known, beside the evidence query
    and the comparisons (which keep one PostgreSQL backend busy and leave the second core idle; ``make
    bench-analytics``: the nightly run 8.5 → 7.1 s when it started after the evidence, 5.0 → 4.6 s when it
    starts before). That connection then reads the levels as stored before the check and computes every
    collectivity's figures from them (:func:`_pass_beside_levels`): on a night when the check changes no
    history row and no current level (and they were read before it committed), those figures are the ones
    written, and the pass after the check only
    writes (9.89 → 7.47 s on a slower machine, 27 November 2026); otherwise they are computed again from the
    repaired levels. Inside a transaction (tests, a caller's ``atomic``) it reads after the levels, on this
    connection.

    Returns:
        ``{"mismatches": level-history rows the incremental runs had wrong (0 when consistent; the
        statements stored since the last run are processed by the incremental path first), **what``
        :func:`rebuild_all_snapshots` ``returns}``.
    """
    now = now or timezone.now()
    months = snapshot_months(now)
    # The statements stored since the last incremental run go through it first: the check then counts what
    # the incremental path got wrong, not what it has not seen yet, and finds nothing to change on a good
    # night (the figures computed beside it are then the ones written). Not when the levels were never built
    # or the backlog is large: the check's set-based SQL does that faster than the incremental path.
    state = AggregationState.objects.filter(name=LEVELS_PIPELINE).first()
    newest = Statement.objects.aggregate(newest=Max("seq"))["newest"] or 0
    if state is not None and state.watermark and newest - state.watermark <= BATCH_SIZE:
        process_new_statements()
    reads = {}
    levels_read = threading.Event()

    def read_statements(upper):
        reads[upper] = _InBackground(_pass_beside_levels, upper, months, now, levels_read)

    overlap = connection.vendor == "postgresql" and not connection.in_atomic_block
    try:
        changes = {}
        mismatches = rebuild_levels(
            on_bound=read_statements if overlap else None,
            changes=changes,
            # Read before the check commits: after it, an incremental run waiting for the lock could have
            # written levels the figures would count without the statements behind them.
            before_commit=lambda: changes.update(read_before_commit=levels_read.is_set()),
        )
        # The figures computed beside the check, from the levels stored before it, hold when the check
        # changed none of the levels they read (a night when the incremental runs were right).
        unchanged = (
            changes.get("history") == 0 and changes.get("levels") == 0 and changes.get("read_before_commit")
        )
        return {
            "mismatches": mismatches,
            **rebuild_all_snapshots(now=now, prefetched=reads, levels_unchanged=unchanged),
        }
    finally:
        # Whatever happened, no read outlives the run (a retried task would start another beside it).
        for read in reads.values():
            read.wait()


# --- Snapshots ---------------------------------------------------------------------------------------


def snapshot_months(now=None) -> list:
    """The months a snapshot covers: the last ``LMS_DASHBOARD_MONTHS`` up to the current one (UTC)."""
    current = pd.Period(pd.Timestamp(now or timezone.now()).tz_convert("UTC").tz_localize(None), "M")
    count = lms_settings.DASHBOARD_MONTHS
    return [current - offset for offset in range(count - 1, -1, -1)]


def collectivity_members(collectivity_id: int) -> pd.DataFrame:
    """The learners of a collectivity: ``actor_name``, ``population``, ``job_profile_id``, ``service_id``.

    Erased people (``ErasedMember``) keep counting under their pseudonym, without job profile or service.
    """
    return members_frame(collectivity_id).drop(columns="collectivity_id")


def members_frame(collectivity_id: int | None = None) -> pd.DataFrame:
    """The learners of one collectivity, or of every collectivity (``None``).

    Returns:
        ``collectivity_id``, ``actor_name``, ``population``, ``job_profile_id``, ``service_id``.
    """
    memberships = Membership.objects.filter(
        role__in=Membership.LEARNER_ROLES, user__lms_learner__isnull=False
    )
    erased = ErasedMember.objects.all()
    if collectivity_id is not None:
        memberships = memberships.filter(collectivity_id=collectivity_id)
        erased = erased.filter(collectivity_id=collectivity_id)
    rows = list(
        memberships.values_list(
            "collectivity_id", "user__lms_learner__actor_name", "role", "job_profile_id", "service_id"
        )
    )
    # Erased people still count, under their pseudonym, in the figures of the collectivity they learned in.
    rows += [
        (collectivity, actor_name, population, None, None)
        for collectivity, actor_name, population in erased.values_list(
            "collectivity_id", "actor_name", "population"
        )
    ]
    frame = pd.DataFrame.from_records(
        rows, columns=["collectivity_id", "actor_name", "population", "job_profile_id", "service_id"]
    )
    frame["actor_name"] = frame["actor_name"].astype(str)
    return frame


def _course_hours() -> pd.DataFrame:
    from courses.models import CoursePage
    from courses.services import course_ref

    rows = [(course_ref(page).id, page.duration_minutes / 60) for page in CoursePage.objects.all()]
    return pd.DataFrame.from_records(rows, columns=["course", "hours"])


def _competences_frame() -> pd.DataFrame:
    rows = Competence.objects.order_by("framework_id", "area__sort_order", "area_id", "sort_order", "pk")
    return pd.DataFrame.from_records(
        list(rows.values_list("pk", "area_id")), columns=["competence_id", "area_id"]
    )


def collectivity_inputs(collectivity_id: int, *, upper: int, now=None) -> "figures.Inputs":
    """Read what the figures of one collectivity need (a handful of queries, no per-row work)."""
    from competences.models import JobProfileTarget

    months = snapshot_months(now)
    start = months[0].to_timestamp().tz_localize("UTC")
    members = collectivity_members(collectivity_id)
    actors = members["actor_name"].drop_duplicates().tolist()
    activity = pd.DataFrame.from_records(
        list(
            Statement.objects.filter(
                collectivity_id=collectivity_id,
                seq__lte=upper,
                voided=False,
                timestamp__gte=start,
                verb__in=list(figures.STAGES),
            ).values_list(
                "actor_name",
                "verb",
                "object_id",
                "data__context__contextActivities__grouping__0__id",
                "timestamp",
            )
        ),
        columns=["actor_name", "verb", "object_id", "grouping", "timestamp"],
    )
    is_course = activity["verb"].isin([v.REGISTERED.id, v.COMPLETED.id])
    activity["course"] = activity["object_id"].where(is_course, activity["grouping"])
    history = _frame(
        LearnerLevelHistory.objects.filter(actor_name__in=actors, kind=EvidenceKind.VALIDATED),
        ["actor_name", "competence_id", "level", "reached_at"],
    )
    history = carry_over(history, mapping_closure())
    declared = _frame(
        LearnerCompetenceLevel.objects.filter(actor_name__in=actors, kind=EvidenceKind.DECLARED),
        ["actor_name", "competence_id", "level"],
    )
    job_profiles = members["job_profile_id"].dropna().astype(int).unique().tolist()
    targets = _frame(
        JobProfileTarget.objects.filter(job_profile_id__in=job_profiles),
        ["job_profile_id", "competence_id", "level"],
    )
    return figures.Inputs(
        months=months,
        members=members,
        activity=activity[["actor_name", "verb", "course", "timestamp"]],
        history=history,
        declared=declared,
        competences=_competences_frame(),
        courses=_course_hours(),
        targets=targets,
    )


def rebuild_snapshot(collectivity_id: int, *, now=None) -> CollectivitySnapshot:
    """Recompute the figures snapshot of one collectivity from the statements and level history.

    Idempotent; one transaction, so a worker that dies midway leaves the previous snapshot in place.
    The snapshot records when it was computed and the ``levels`` watermark it was computed from; its data is
    rewritten only when it changed (``data_hash``), otherwise only those two fields move.
    """
    with transaction.atomic():
        state = AggregationState.objects.filter(name=LEVELS_PIPELINE).first()
        watermark = state.watermark if state else 0
        data = figures.compute(collectivity_inputs(collectivity_id, upper=watermark, now=now))
        # The hash of the data as stored (the field encodes it again when it writes it).
        data_hash = national.digest(national.dumps(encode_snapshot_groups(data)))
        values = {"computed_at": timezone.now(), "watermark": watermark}
        existing = CollectivitySnapshot.objects.select_for_update().filter(
            collectivity_id=collectivity_id, kind=CollectivitySnapshot.Kind.FIGURES
        )
        # Not update_or_create: it would read (and decode) the previous, large, snapshot first.
        if existing.filter(data_hash=data_hash).update(**values) or existing.update(
            data=data, data_hash=data_hash, **values
        ):
            return existing.defer("data").get()
        return CollectivitySnapshot.objects.create(
            collectivity_id=collectivity_id,
            kind=CollectivitySnapshot.Kind.FIGURES,
            data=data,
            data_hash=data_hash,
            **values,
        )


# --- The national pass (nightly full rebuild) -----------------------------------------------------------


def rebuild_all_snapshots(
    *, now=None, collectivity_ids=None, prefetched=None, levels_unchanged=False
) -> dict:
    """Recompute the figures snapshot of every collectivity in one national pass, and write them at once.

    ``collectivity_ids`` restricts the pass to those collectivities (an incremental refresh that touched
    many of them, see :func:`lms.analytics.tasks.request_snapshots`); ``None``: every collectivity.

    The same ``data`` as :func:`rebuild_snapshot` for each collectivity (``tests/lms/analytics/
    test_national.py``), from one read of the members, the activity and the level history instead of one
    per collectivity. One transaction: a worker that dies midway leaves the previous snapshots.

    Only the snapshots whose data changed are rewritten; the others get their ``computed_at`` and
    ``watermark`` moved (see :func:`_write_snapshots`).

    ``prefetched``: reads of :func:`_pass_beside_levels` started earlier, by upper bound (see
    :func:`nightly_rebuild`); the one made for the current watermark is used, the others are dropped. Its
    figures, computed from the levels as they were stored before the level check, are written as they are
    when ``levels_unchanged`` (the check changed no history row and no current level); otherwise only its
    statement reads are used and the figures are computed again from the levels as they are now.

    Returns:
        ``{"snapshots": count, "written": count, "unchanged": count, "read": s, "compute": s, "write": s}``
        (seconds per phase; ``"read and compute beside the level check"`` instead of the first two when the
        figures computed beside the check were written).
    """
    with transaction.atomic():
        state = AggregationState.objects.filter(name=LEVELS_PIPELINE).first()
        watermark = state.watermark if state else 0
        phases = _Phases()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")  # see _rebuild_levels_in_postgresql
        reads = None
        for upper, read in (prefetched or {}).items():
            result = read.result()  # waited for in any case: its connection is then closed
            if upper == watermark and collectivity_ids is None:
                reads = result
        encoded = None
        if reads is not None and levels_unchanged:
            results, encoded = reads["results"], reads["encoded"]
            phases.lap("read and compute beside the level check")
        else:
            if reads is not None:
                # Figures of levels since repaired: not kept while computing.
                reads.pop("results", None)
                reads.pop("encoded", None)
            inputs = national_inputs(upper=watermark, now=now, collectivity_ids=collectivity_ids, reads=reads)
            phases.lap("read")
            results = _compute_all(inputs)
            phases.lap("compute")
        counts = _write_snapshots(results, watermark, encoded)
        phases.lap("write")
    logger.info(
        "National pass: %d snapshots, %d rewritten, %d unchanged (%s).",
        len(results),
        counts["written"],
        counts["unchanged"],
        phases,
    )
    return {"snapshots": len(results), **counts, **phases.timings}


def _compute_all(inputs: "national.NationalInputs") -> dict[int, dict]:
    """:func:`national.compute_all`, without the garbage collector: building 2,800 groups' dicts would
    otherwise trigger full collections over a large heap."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return national.compute_all(inputs)
    finally:
        if collecting:
            gc.enable()


def _pass_beside_levels(upper: int, months, now, levels_read: threading.Event | None = None) -> dict:
    """The nightly national pass computed on a second connection while the level check runs on the first.

    The statement reads of :func:`_statement_reads`, then the figures of every collectivity from the levels
    as stored before the check (this connection cannot see the check's uncommitted rows; no incremental run
    or erasure can change them meanwhile: the check holds the ``levels`` state's lock, which they take).
    :func:`rebuild_all_snapshots` writes those figures when the check changed no level, and otherwise
    computes them again from the statement reads and the repaired levels. ``levels_read`` is set once the
    levels are read.

    Returns:
        what :func:`_statement_reads` returns, plus ``"results"``: ``{collectivity id: data}``, and
        ``"encoded"``: what :func:`_encoded` gives for them.
    """
    # The members and the levels are read on a third connection beside the statements: the figures can then
    # be computed as soon as the statements are read, while the check still runs, instead of leaving a core
    # idle at the end of the night (``docs/analytics.md`` § 7, run 18).
    beside = _InBackground(_members_and_levels, months)
    try:
        reads = _statement_reads(upper, months, members=lambda: beside.result()[0])
    finally:
        beside.wait()
    phases = _Phases()
    inputs = national_inputs(upper=upper, now=now, reads=reads, levels=beside.result()[1])
    if levels_read is not None:
        levels_read.set()
    phases.lap("read")
    results = _compute_all(inputs)
    phases.lap("compute")
    # Encoded and hashed here too, while the check still runs: the write then only compares hashes.
    encoded = _encoded(results)
    phases.lap("encode")
    logger.info("National pass beside the level check: %s.", phases)
    return {**reads, "results": results, "encoded": encoded}


def national_inputs(
    *, upper: int, now=None, collectivity_ids=None, reads=None, levels=None
) -> "national.NationalInputs":
    """Read what the figures of every collectivity need: members, activity, level history, declared levels.

    On PostgreSQL the large frames come packed one row per actor (see :data:`_ACTIVITY_SQL`), the month and
    stage computed by the database. ``collectivity_ids``: only those collectivities (``None``: all).
    ``reads``: what :func:`_statement_reads` returned for the same bound and months, read beforehand;
    ``levels``: what :func:`_level_reads` returned for the same months. The time of each read is logged
    (debug).
    """
    from competences.models import JobProfileTarget

    months = snapshot_months(now)
    if reads is None:
        reads = _statement_reads(upper, months, collectivity_ids)
    history, declared = levels if levels is not None else _level_reads(months)
    phases = _Phases()
    inputs = national.NationalInputs(
        months=months,
        collectivities=reads["collectivities"],
        members=reads["members"],
        activity=reads["activity"],
        history=history,
        declared=declared,
        competences=_competences_frame(),
        courses=reads["courses"],
        targets=_frame(JobProfileTarget.objects.all(), ["job_profile_id", "competence_id", "level"]),
    )
    phases.lap("others")
    logger.debug("National pass read: %s.", phases)
    return inputs


def _members_and_levels(months) -> tuple[pd.DataFrame, tuple[pd.DataFrame, pd.DataFrame]]:
    """:func:`members_frame` and :func:`_level_reads`."""
    return members_frame(), _level_reads(months)


def _level_reads(months) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The national pass's reads of the levels: the validated history and the declared levels."""
    phases = _Phases()
    history = national_level_history(months)
    phases.lap("history")
    declared = _national_declared()
    phases.lap("declared")
    logger.debug("National pass read: %s.", phases)
    return history, declared


def _statement_reads(upper: int, months, collectivity_ids=None, members=None) -> dict:
    """The national pass's reads that do not depend on the levels: the collectivities, their members, the
    catalogue's hours and the activity of the window (from the statements up to ``upper``).

    ``members``: a function that returns :func:`members_frame` (by default, that function), called once the
    statements are read: the nightly run reads the members meanwhile on another connection.

    Returns:
        ``{"collectivities": [...], "members": frame, "courses": frame, "activity": frame}``.
    """
    phases = _Phases()
    collectivities = Collectivity.objects.order_by("pk")
    if collectivity_ids is not None:
        collectivities = collectivities.filter(pk__in=list(collectivity_ids))
    collectivities = list(collectivities.values_list("pk", flat=True))
    members = members or members_frame
    courses = _course_hours()
    phases.lap("collectivities and catalogue")
    read = {}

    def member_rows() -> pd.DataFrame:
        """The members of the collectivities read (once)."""
        if "members" not in read:
            frame = members()
            if collectivity_ids is not None:
                frame = frame[frame["collectivity_id"].isin(collectivities)].reset_index(drop=True)
            read["members"] = frame
        return read["members"]

    def actors() -> list[str]:
        return member_rows()["actor_name"].drop_duplicates().tolist()

    # A restriction to most collectivities is read as no restriction (compute_all keeps only theirs): the
    # planner would otherwise walk the collectivity index over the whole store (3.3–4.1 s against 1.5–2 s
    # for the 200 collectivities of the benchmark, under load).
    restricted = collectivity_ids is not None and 2 * len(collectivities) <= Collectivity.objects.count()
    activity = _national_activity(
        upper,
        months,
        collectivities if restricted else None,
        actors=actors,
        courses=courses["course"].drop_duplicates().tolist(),
    )
    phases.lap("activity and members")
    logger.debug("National pass read: %s.", phases)
    return {
        "collectivities": collectivities,
        "members": member_rows(),
        "courses": courses,
        "activity": activity,
    }


def _window(months) -> tuple:
    start = months[0].to_timestamp().tz_localize("UTC")
    end = (months[-1] + 1).to_timestamp().tz_localize("UTC")
    return start, end


def _copy_frame(sql: str, params: dict, columns: list[str], dtypes: dict) -> pd.DataFrame:
    """Run ``COPY (sql) TO STDOUT`` (CSV) on PostgreSQL and parse it with pandas' C reader."""
    buffer = io.BytesIO()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy,
    ):
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    if not buffer.getbuffer().nbytes:
        return pd.DataFrame({column: pd.Series(dtype=dtypes.get(column, object)) for column in columns})
    return pd.read_csv(
        buffer, names=columns, dtype=dtypes, header=None, keep_default_na=False, na_values=[""]
    )


#: The activity attributed to a collectivity in the window, one row per (collectivity, actor): the actor's
#: statements packed as big-endian ``int8`` keys ``course << 32 | m << 2 | stage`` in one ``bytea``
#: (``course``: 0 none, 1 not in the catalogue, 2 + its position in the catalogue), read with
#: ``numpy.frombuffer``; the statements whose course is not in the catalogue come apart, each as its key
#: followed by the course's text (UTF-8). Grouping by actor instead of looking the actor up per row (a
#: 20,000-key ``jsonb`` map cost as much as the scan), 8 bytes per statement instead of a CSV line, the
#: month by ``width_bucket`` over the month starts instead of ``extract``. The stage and the course come
#: from ``course_stage`` (written with the statement: no JSON, no verb), and the rows from the index
#: ``lms_stmt_course_stage``, which holds every column read, in the order of the grouping: an index-only
#: scan of ≈ 150 bytes per statement instead of the table's ≈ 1,300, and a group aggregate that streams
#: the rows instead of hashing them (``ORDER BY`` in the subquery asks for the index's order, which the
#: ``OFFSET 0`` barrier would otherwise not pass on). At the benchmark's size: 0.6-1.0 core-seconds instead
#: of 1.9-2.5 for the parallel scan of the table and its hash aggregate (27 November 2026). The course is
#: looked up in the catalogue once per statement, and read again only when it is not found (``coalesce``
#: evaluates its second argument only then).
_ACTIVITY_SQL = """
SELECT x.collectivity_id, x.actor_name,
       string_agg(x.k, ''::bytea) FILTER (WHERE length(x.k) = 8),
       array_agg(x.k) FILTER (WHERE length(x.k) > 8)
FROM (SELECT s.collectivity_id, s.actor_name,
             coalesce(int8send(((%(courses)s::jsonb ->> {course})::int8 + 2) * 4294967296 + {month_stage}),
                      CASE WHEN {course} IS NULL THEN int8send(({month_stage})::int8)
                           ELSE int8send(4294967296 + {month_stage}) || convert_to({course}, 'UTF8') END) AS k
      FROM lms_statement s
      WHERE s.course_stage IS NOT NULL AND s.collectivity_id IS NOT NULL AND NOT s.voided
        AND s.seq <= %(upper)s AND s.timestamp >= %(start)s AND s.timestamp < %(end)s
        {restriction}
      ORDER BY s.collectivity_id, s.actor_name
      OFFSET 0) AS x
GROUP BY 1, 2
""".format(
    course="nullif(substr(s.course_stage, 2), '')",
    month_stage="(width_bucket(s.timestamp, %(bounds)s::timestamptz[]) + 1) * 4 + ascii(s.course_stage) - 48",
    restriction="{restriction}",
)
_ACTIVITY_COLUMNS = ["collectivity_id", "actor_name", "m", "stage", "course"]
#: Planner settings for :data:`_ACTIVITY_SQL`, for that query only: one process (the nightly run's two
#: cores are busy with the check beside it; in parallel workers the same read cost 1.1-1.2 core-seconds
#: for 0.7 s instead of 0.6-1.0 for 0.6-0.95 s), grouping in the index's order (a hash aggregate would
#: keep every actor's keys in memory: the planner counts 8 kB per ``string_agg`` group), no JIT (see
#: :func:`_rebuild_levels_in_postgresql`; set here too for the read made on a second connection).
_ACTIVITY_SETTINGS = {"max_parallel_workers_per_gather": "0", "enable_hashagg": "off", "jit": "off"}
#: The grouped reads of the levels (:func:`_packed_rows`): a parallel scan (the rows sent to the leader are
#: narrow) and a hash aggregate over the actors. The planner counts 8 kB per ``string_agg`` group (the real
#: state is the actor's ~50 keys): it would sort the rows instead, and the hash would spill to disk after
#: ``hash_mem`` / 16 kB groups; ``work_mem`` is sized from the number of actors (see
#: :func:`_grouped_settings`) while the table really takes ~2.5 kB per actor.
_GROUPED_SETTINGS = {"parallel_tuple_cost": "0.01", "enable_sort": "off", "jit": "off"}


def _grouped_settings(actors: int) -> dict[str, str]:
    return {**_GROUPED_SETTINGS, "work_mem": f"{max(64, (actors * 16) // 1024 + 1)}MB"}


@contextmanager
def _local_settings(cursor, settings: dict[str, str]):
    """Set PostgreSQL settings for the statements run inside, then put the previous values back."""
    previous = {}
    for name, value in settings.items():
        cursor.execute("SELECT current_setting(%s)", [name])
        previous[name] = cursor.fetchone()[0]
        cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
    try:
        yield
    finally:
        for name, value in previous.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


def _national_activity(upper: int, months, collectivities=None, *, actors=list, courses=()) -> pd.DataFrame:
    """The activity attributed to a collectivity in the window: see :class:`national.NationalInputs`.

    ``collectivities``: only the activity attributed to those (``None``: to any). ``actors`` (distinct) and
    ``courses`` (distinct) come first among the categories of ``actor_name`` and ``course``; ``actors`` is a
    function that returns them, called once the statements are read.
    """
    start, end = _window(months)
    if connection.vendor == "postgresql":
        restriction = "AND s.collectivity_id = ANY(%(collectivities)s)" if collectivities is not None else ""
        params = {
            "collectivities": collectivities,
            "bounds": [month.to_timestamp().tz_localize("UTC") for month in months[1:]],
            "upper": upper,
            "start": start,
            "end": end,
            "courses": json.dumps({name: number for number, name in enumerate(courses)}),
        }
        # A transaction (a savepoint inside the national pass's) bounds the settings, whatever happens.
        with (
            transaction.atomic(),
            connection.cursor() as cursor,
            _local_settings(cursor, _ACTIVITY_SETTINGS),
        ):
            cursor.execute(_ACTIVITY_SQL.replace("{restriction}", restriction), params)
            rows = cursor.fetchall()
        return _unpacked_activity(rows, list(actors()), list(courses))
    statements = Statement.objects.all()
    if collectivities is not None:
        statements = statements.filter(collectivity_id__in=collectivities)
    rows = statements.filter(
        collectivity__isnull=False,
        seq__lte=upper,
        voided=False,
        timestamp__gte=start,
        timestamp__lt=end,
        course_stage__isnull=False,
    ).values_list("collectivity_id", "actor_name", "course_stage", "timestamp")
    frame = pd.DataFrame.from_records(
        list(rows), columns=["collectivity_id", "actor_name", "course_stage", "timestamp"]
    )
    stages = frame["course_stage"].astype(str)
    courses = stages.str[1:]
    return pd.DataFrame(
        {
            "collectivity_id": frame["collectivity_id"].astype("int64"),
            "actor_name": frame["actor_name"].astype(str),
            "m": figures.month_index(frame["timestamp"], months),
            "stage": stages.str[0].astype("int64"),
            "course": courses.mask(courses == ""),
        },
        columns=_ACTIVITY_COLUMNS,
    )


def _unpacked_activity(rows: list, actors: list[str], courses: list[str]) -> pd.DataFrame:
    """The frame of :func:`_national_activity` from the rows of :data:`_ACTIVITY_SQL`."""
    if not rows:
        return pd.DataFrame(
            {
                "collectivity_id": pd.Series(dtype="int64"),
                "actor_name": pd.Categorical([], categories=actors),
                "m": pd.Series(dtype="int16"),
                "stage": pd.Series(dtype="int8"),
                "course": pd.Categorical([], categories=courses),
            },
            columns=_ACTIVITY_COLUMNS,
        )
    collectivity_ids, names, packed, others = zip(*rows, strict=True)
    # The statements whose course is not in the catalogue after the row's others: their key, then the text.
    texts = []
    if any(others):
        blocks = []
        for block, unknown in zip(packed, others, strict=True):
            if unknown:
                block = bytes(block or b"") + b"".join(bytes(item[:8]) for item in unknown)
                texts.extend(bytes(item[8:]).decode() for item in unknown)
            blocks.append(block)
        packed = blocks
    packed = [block or b"" for block in packed]
    counts = np.fromiter((len(block) // 8 for block in packed), dtype=np.int64, count=len(packed))
    keys = np.frombuffer(b"".join(packed), dtype=">i8").astype(np.int64)
    # Actors: their position among the members, then the others (people from outside) by first appearance.
    actor_codes = pd.Index(actors).get_indexer(list(names))
    outside = actor_codes < 0
    extra_codes, extra_actors = pd.factorize(pd.Index(names)[outside])
    actor_codes[outside] = len(actors) + extra_codes
    # Courses: -1 none, their position in the catalogue, or after it the other texts (in row order).
    course_codes = (keys >> 32) - 2
    unknown = course_codes == -1
    extra_courses = pd.Index([], dtype=object)
    if unknown.any():
        codes, extra_courses = pd.factorize(pd.Index(texts))
        course_codes[unknown] = len(courses) + codes
    course_codes[course_codes == -2] = -1
    return pd.DataFrame(
        {
            "collectivity_id": np.repeat(np.asarray(collectivity_ids, dtype=np.int64), counts),
            "actor_name": pd.Categorical.from_codes(
                np.repeat(actor_codes, counts), categories=[*actors, *extra_actors]
            ),
            "m": ((keys >> 2) & 0x3FFFFFFF).astype(np.int16),
            "stage": (keys & 3).astype(np.int8),
            "course": pd.Categorical.from_codes(course_codes, categories=[*courses, *extra_courses]),
        },
        columns=_ACTIVITY_COLUMNS,
    )


#: The validated level history read by the national pass, one row per actor: their rows packed as big-endian
#: ``int8`` keys ``competence_id << 24 | k << 4 | level`` in one ``bytea`` (``k``: 0 before the window, 1..M
#: the month), as :data:`_ACTIVITY_SQL`; the highest level per (actor, competence, month) is kept in numpy.
_HISTORY_SQL = """
SELECT h.actor_name,
       string_agg(int8send(h.competence_id * 16777216
                           + width_bucket(h.reached_at, %(bounds)s::timestamptz[]) * 16 + h.level), ''::bytea)
FROM lms_learnerlevelhistory h
WHERE h.kind = %(kind)s AND h.reached_at < %(end)s
GROUP BY 1
"""


def national_level_history(months) -> pd.DataFrame:
    """The validated level history of every learner, as the national pass reads it.

    THE place where the national pass loads its level-history frame (``actor_name``, ``competence_id``,
    ``level``, ``reached_at``) — a step on that frame (such as carrying levels over competence mappings)
    goes here, as it goes in :func:`collectivity_inputs` for the per-collectivity path. Only what the
    monthly level grid can see is read: per (learner, competence, month) the highest level, dated from the
    start of its month (levels reached before the window count from the month before it; later ones are
    not read).
    """
    start, end = _window(months)
    if connection.vendor == "postgresql":
        params = {
            "kind": EvidenceKind.VALIDATED.value,
            "bounds": [month.to_timestamp().tz_localize("UTC") for month in months],
            "end": end,
        }
        history = _unpacked_history(*_packed_rows(_HISTORY_SQL, params), months)
    else:
        history = _frame(
            LearnerLevelHistory.objects.filter(kind=EvidenceKind.VALIDATED, reached_at__lt=end),
            ["actor_name", "competence_id", "level", "reached_at"],
        )
    # Levels follow the competence version/crosswalk mappings, as in collectivity_inputs.
    return carry_over(history, mapping_closure())


def _unpacked_history(actors: pd.Categorical, keys: np.ndarray, months) -> pd.DataFrame:
    """The frame of :func:`national_level_history` from the rows of :data:`_HISTORY_SQL`."""
    actor = actors.codes.astype(np.int64)
    # Per (actor, competence, month) the highest level: sorted by actor then key, the last of each run.
    order = np.lexsort((keys, actor))
    actor, keys = actor[order], keys[order]
    last = np.ones(len(keys), dtype=bool)
    last[:-1] = (actor[1:] != actor[:-1]) | (keys[1:] >> 4 != keys[:-1] >> 4)
    actor, keys = actor[last], keys[last]
    starts = [(months[0] - 1).to_timestamp(), *(month.to_timestamp() for month in months)]
    seconds = np.array([int(start.timestamp()) for start in starts], dtype=np.int64)
    return pd.DataFrame(
        {
            "actor_name": pd.Categorical.from_codes(actor, dtype=actors.dtype),
            "competence_id": keys >> 24,
            "level": (keys & 15).astype(np.int8),
            "reached_at": pd.to_datetime(seconds[(keys >> 4) & 0xFFFFF], unit="s", utc=True),
        }
    )


#: The current declared levels, one row per actor: ``competence_id << 4 | level`` keys (as _HISTORY_SQL).
_DECLARED_SQL = """
SELECT actor_name, string_agg(int8send(competence_id * 16 + level), ''::bytea)
FROM lms_learnercompetencelevel
WHERE kind = %(kind)s
GROUP BY 1
"""


def _national_declared() -> pd.DataFrame:
    queryset = LearnerCompetenceLevel.objects.filter(kind=EvidenceKind.DECLARED)
    if connection.vendor != "postgresql":
        return _frame(queryset, ["actor_name", "competence_id", "level"])
    actors, keys = _packed_rows(_DECLARED_SQL, {"kind": EvidenceKind.DECLARED.value})
    return pd.DataFrame(
        {"actor_name": actors, "competence_id": keys >> 4, "level": (keys & 15).astype(np.int8)}
    )


def _actor_count() -> int:
    """How many people the grouped reads group by, as the database knows them (to size their memory)."""
    return Learner.objects.count() + ErasedMember.objects.count()


def _packed_rows(sql: str, params: dict) -> tuple[pd.Categorical, np.ndarray]:
    """Run ``sql`` (``actor_name``, ``int8`` keys packed in a ``bytea``): the actor and key of each row."""
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        _local_settings(cursor, _grouped_settings(_actor_count())),
    ):
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    names = [name for name, _ in rows]
    counts = np.fromiter((len(block) // 8 for _, block in rows), dtype=np.int64, count=len(rows))
    keys = np.frombuffer(b"".join(block for _, block in rows), dtype=">i8").astype(np.int64)
    codes = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
    return pd.Categorical.from_codes(codes, categories=names), keys


def _encoded(results: dict[int, dict]) -> tuple[dict[int, str], dict[int, str]]:
    """The JSON text of each collectivity's snapshot data as stored, and its hash (``data_hash``)."""
    texts = {pk: national.dumps(encode_snapshot_groups(data)) for pk, data in results.items()}
    return texts, {collectivity_id: national.digest(text) for collectivity_id, text in texts.items()}


def _write_snapshots(results: dict[int, dict], watermark: int, encoded=None) -> dict:
    """Write every figures snapshot at once; rewrite the data only of those that changed.

    A snapshot whose data hash (``data_hash``) is the stored one only gets its ``computed_at`` and
    ``watermark`` moved (one ``UPDATE`` for all of them); the others are written in one upsert statement per
    batch. Nothing of the old snapshots is read but their hashes. ``encoded``: :func:`_encoded` of
    ``results``, when made already.

    Returns:
        ``{"written": count, "unchanged": count}``.
    """
    computed_at = timezone.now()
    kind = CollectivitySnapshot.Kind.FIGURES.value
    stored = dict(
        CollectivitySnapshot.objects.filter(kind=kind, collectivity_id__in=list(results)).values_list(
            "collectivity_id", "data_hash"
        )
    )
    texts, hashes = encoded or _encoded(results)
    unchanged = [pk for pk, data_hash in hashes.items() if stored.get(pk) == data_hash]
    changed = [pk for pk in results if stored.get(pk) != hashes[pk]]
    values = {"computed_at": computed_at, "watermark": watermark}
    CollectivitySnapshot.objects.filter(kind=kind, collectivity_id__in=unchanged).update(**values)
    if connection.vendor == "postgresql" and changed:
        rows = [(pk, kind, computed_at, watermark, texts[pk], hashes[pk]) for pk in changed]
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO lms_collectivitysnapshot "
                "(collectivity_id, kind, computed_at, watermark, data, data_hash) "
                "VALUES (%s, %s, %s, %s, %s::jsonb, %s) ON CONFLICT (collectivity_id, kind) DO UPDATE SET "
                "computed_at = EXCLUDED.computed_at, watermark = EXCLUDED.watermark, data = EXCLUDED.data, "
                "data_hash = EXCLUDED.data_hash",
                rows,
            )
    elif connection.vendor != "postgresql":
        for pk in changed:
            data = json.loads(texts[pk])
            existing = CollectivitySnapshot.objects.filter(collectivity_id=pk, kind=kind)
            if not existing.update(data=data, data_hash=hashes[pk], **values):
                CollectivitySnapshot.objects.create(
                    collectivity_id=pk, kind=kind, data=data, data_hash=hashes[pk], **values
                )
    return {"written": len(changed), "unchanged": len(unchanged)}


def collectivities_to_refresh(touched: set[int]) -> set[int]:
    """Add to ``touched`` the collectivities that have no snapshot yet."""
    missing = Collectivity.objects.exclude(snapshots__kind=CollectivitySnapshot.Kind.FIGURES).values_list(
        "pk", flat=True
    )
    return set(touched) | set(missing)


# --- Debounce: at most one pending run per key ----------------------------------------------------------


def snapshot_key(collectivity_id: int) -> str:
    return f"snapshot:{collectivity_id}"


def request_run(key: str) -> bool:
    """Record that a run is wanted; return ``True`` when no run of that key was pending (enqueue one).

    Asked after every batch the LRS stores: while a run is pending (a burst of ingestion), one plain query
    answers, without the cost of building an ORM query in each request.
    """
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {quote(PendingRun._meta.db_table)} WHERE {quote('key')} = %s", [key])
        if cursor.fetchone() is not None:
            return False
    _, created = PendingRun.objects.get_or_create(key=key, defaults={"requested_at": timezone.now()})
    return created


def start_run(*keys: str) -> None:
    """Forget the pending requests of ``keys``: the run starts, later requests need a new run."""
    PendingRun.objects.filter(key__in=keys).delete()


def stale_snapshot_requests() -> list[int]:
    """Collectivities whose requested rebuild has waited longer than ``LMS_AGGREGATION_PENDING_TIMEOUT``.

    A request whose task was lost (broker down when it was sent) would otherwise block the next ones.
    """
    limit = timezone.now() - timedelta(seconds=lms_settings.AGGREGATION_PENDING_TIMEOUT)
    keys = PendingRun.objects.filter(key__startswith="snapshot:", requested_at__lt=limit).values_list(
        "key", flat=True
    )
    return [int(key.split(":", 1)[1]) for key in keys]


def refresh_pending(collectivity_id: int) -> None:
    PendingRun.objects.filter(key=snapshot_key(collectivity_id)).update(requested_at=timezone.now())
