"""The level history is the same whether statements arrive in batches (incremental) or are rebuilt at once."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.analytics import services
from lms.models import LearnerCompetenceLevel
from lms.xapi import vocabulary as v
from tests.lms.analytics.helpers import day, statement, store_rows, void

pytestmark = pytest.mark.django_db

ACTORS = ["a", "b", "c"]
CODES = ["1.1", "2.1", "4.2"]

evidence_event = st.tuples(
    st.just("evidence"),
    st.sampled_from(ACTORS),
    st.sampled_from(CODES),
    st.sampled_from(["validated", "declared", "failed", "pix"]),
    st.integers(min_value=0, max_value=9),  # 0 and 9 are invalid levels: ignored by the rules
    st.integers(min_value=0, max_value=365),
)
void_event = st.tuples(st.just("void"), st.integers(min_value=0, max_value=50))
streams = st.lists(st.one_of(evidence_event, evidence_event, evidence_event, void_event), max_size=25)


def _rows(events, uri):
    rows = []
    for event in events:
        if event[0] == "void":
            if rows:
                target = rows[event[1] % len(rows)]
                rows.append(void(target.actor_name, target.statement_id, when=day(400)))
            continue
        _, actor, code, kind, level, when = event
        levels = [{"competence": uri[code], "level": level}]
        if kind == "declared":
            rows.append(statement(actor, v.COMPLETED.id, declared=levels, when=day(when)))
        else:
            verb = v.FAILED.id if kind == "failed" else v.PASSED.id
            source = "pix" if kind == "pix" else None
            rows.append(statement(actor, verb, validated=levels, source=source, when=day(when)))
    return rows


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=streams, cuts=st.lists(st.integers(min_value=0, max_value=25), max_size=4))
def test_incremental_history_equals_the_history_rebuilt_from_scratch(frameworks, events, cuts):
    from competences.models import Competence

    uri = {c.code: c.uri for c in Competence.objects.filter(framework__slug="crcn", code__in=CODES)}
    rows = _rows(events, uri)
    bounds = sorted({0, len(rows), *[min(cut, len(rows)) for cut in cuts]})
    with transaction.atomic():
        for start, end in zip(bounds, bounds[1:], strict=False):
            store_rows(rows[start:end])
            services.process_new_statements()
        incremental = services.level_history_frame(), _current_levels()
        mismatches = services.rebuild_levels()
        rebuilt = services.level_history_frame(), _current_levels()
        transaction.set_rollback(True)
    # The current levels too: the latest declared level (the highest of those declared at the same instant).
    assert (mismatches, incremental[0].equals(rebuilt[0]), incremental[1]) == (0, True, rebuilt[1])


def _current_levels():
    columns = ["actor_name", "competence_id", "kind", "level", "reached_at"]
    return sorted(LearnerCompetenceLevel.objects.values_list(*columns))
