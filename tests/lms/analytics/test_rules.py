"""The evidence rules (lms/analytics/rules.py) applied by the pure pipeline steps, each on a tiny frame."""

from datetime import UTC, datetime

import pandas as pd

from lms.analytics import pipeline, rules
from lms.xapi import vocabulary as v

T1 = datetime(2026, 1, 1, tzinfo=UTC)
T2 = datetime(2026, 2, 1, tzinfo=UTC)
T3 = datetime(2026, 3, 1, tzinfo=UTC)


def _statement(sid, verb, *, validated=None, declared=None, source=None, objectives=None, actor="a", when=T1):
    """A stored statement's columns, its evidence summary written from its xAPI context as the store does."""
    extensions = {
        key: value
        for key, value in (
            (v.EXT_VALIDATED_LEVELS, validated),
            (v.EXT_DECLARED_LEVELS, declared),
            (v.EXT_EVIDENCE_SOURCE, source),
        )
        if value is not None
    }
    context = {"extensions": extensions}
    if objectives is not None:
        context["contextActivities"] = {"other": objectives}
    return {
        "statement_id": sid,
        "actor_name": actor,
        "timestamp": when,
        "evidence": rules.evidence_summary({"verb": {"id": verb}, "context": context}),
    }


def _evidence(*statements):
    return pipeline.evidence_from_summaries(
        pd.DataFrame(list(statements), columns=pipeline.STATEMENT_COLUMNS)
    )


def test_passed_assessment_validates_each_listed_level():
    evidence = _evidence(
        _statement(
            "s1",
            v.PASSED.id,
            validated=[{"competence": "c42", "level": 3}, {"competence": "c41", "level": 2}],
        )
    )
    assert sorted(zip(evidence["competence_uri"], evidence["level"], evidence["kind"], strict=True)) == [
        ("c41", 2, "validated"),
        ("c42", 3, "validated"),
    ]


def test_failed_assessment_validates_nothing():
    assert _evidence(_statement("s1", v.FAILED.id, validated=[{"competence": "c", "level": 3}])).empty


def test_imported_pix_level_is_validated_with_its_source():
    evidence = _evidence(
        _statement("s1", v.PASSED.id, validated=[{"competence": "c", "level": 4}], source="pix")
    )
    assert evidence[["kind", "source"]].to_dict("records") == [{"kind": "validated", "source": "pix"}]


def test_tremplin_is_the_source_when_none_is_given():
    evidence = _evidence(_statement("s1", v.PASSED.id, validated=[{"competence": "c", "level": 4}]))
    assert evidence["source"].tolist() == [rules.DEFAULT_SOURCE]


def test_self_assessment_is_declared_whatever_its_verb():
    evidence = _evidence(_statement("s1", v.COMPLETED.id, declared=[{"competence": "c", "level": 5}]))
    assert evidence[["kind", "level"]].to_dict("records") == [{"kind": "declared", "level": 5}]


def test_course_completion_records_exposure_without_a_level():
    objective = {"id": "c", "definition": {"type": v.OBJECTIVE.id}}
    evidence = _evidence(_statement("s1", v.COMPLETED.id, objectives=[objective]))
    assert evidence[["kind", "level"]].to_dict("records") == [{"kind": "exposure", "level": 0}]


def test_levels_outside_one_to_eight_are_ignored():
    assert _evidence(_statement("s1", v.PASSED.id, validated=[{"competence": "c", "level": 9}])).empty


def test_malformed_level_lists_are_ignored():
    assert _evidence(_statement("s1", v.PASSED.id, validated=["c", {"level": 2}, {"competence": "c"}])).empty


def _history(rows):
    evidence = pd.DataFrame(rows, columns=["actor_name", "competence_id", "kind", "level", "occurred_at"])
    return pipeline.level_history(evidence)


def test_reaching_a_level_directly_reaches_the_levels_below_on_that_date():
    history = _history([("a", 1, "validated", 3, T2)])
    assert history[["level", "reached_at"]].values.tolist() == [[1, T2], [2, T2], [3, T2]]


def test_each_level_keeps_the_date_it_was_first_reached():
    history = _history(
        [("a", 1, "validated", 3, T3), ("a", 1, "validated", 1, T1), ("a", 1, "validated", 2, T2)]
    )
    assert history["reached_at"].tolist() == [T1, T2, T3]


def test_current_validated_level_never_goes_down():
    rows = [("a", 1, "validated", 4, T1), ("a", 1, "validated", 2, T2)]
    evidence = pd.DataFrame(rows, columns=["actor_name", "competence_id", "kind", "level", "occurred_at"])
    levels = pipeline.current_levels(pipeline.level_history(evidence), evidence)
    assert levels["level"].tolist() == [4]


def test_current_declared_level_is_the_latest_self_assessment():
    rows = [("a", 1, "declared", 4, T1), ("a", 1, "declared", 2, T2)]
    evidence = pd.DataFrame(rows, columns=["actor_name", "competence_id", "kind", "level", "occurred_at"])
    levels = pipeline.current_levels(pipeline.level_history(evidence), evidence)
    assert levels[levels["kind"] == "declared"]["level"].tolist() == [2]


def test_every_rule_has_a_title_and_an_explanation_for_hr_managers():
    assert all(str(rule.title) and str(rule.explanation) for rule in rules.RULES)


def test_a_level_must_be_a_json_integer():
    items = [
        {"competence": "c1", "level": 3.0},
        {"competence": "c2", "level": True},
        {"competence": "c3", "level": "3"},
    ]
    assert _evidence(_statement("s1", v.PASSED.id, validated=items)).empty


def test_of_two_items_for_the_same_competence_the_first_valid_one_counts():
    items = [
        {"competence": "c", "level": 12},
        {"competence": "c", "level": 2},
        {"competence": "c", "level": 5},
    ]
    evidence = _evidence(_statement("s1", v.PASSED.id, validated=items))
    assert evidence[["competence_uri", "level"]].values.tolist() == [["c", 2]]


def test_a_statement_may_validate_and_declare_the_same_competence():
    item = [{"competence": "c", "level": 3}]
    evidence = _evidence(_statement("s1", v.PASSED.id, validated=item, declared=item))
    assert sorted(evidence["kind"]) == ["declared", "validated"]


def test_a_source_with_quotes_tabs_and_newlines_is_kept_whole():
    source = 'Pix "orga"\tcampagne\n2026 \\ é'
    evidence = _evidence(
        _statement("s1", v.PASSED.id, validated=[{"competence": "c", "level": 4}], source=source)
    )
    assert evidence["source"].tolist() == [source]


def test_a_statement_without_evidence_has_no_summary():
    assert rules.evidence_summary({"verb": {"id": v.EXPERIENCED.id}, "context": {"extensions": {}}}) is None
    assert rules.evidence_summary({"verb": {"id": v.PASSED.id}}) is None


def test_a_statement_records_the_stage_of_the_course_it_names():
    """The stage and course the activity figures count (the completion funnel, hours, active learners):
    the object for an enrolment or a completion, the ``grouping`` parent for a lesson or an assessment."""
    course = "http://testserver/xapi/activities/course/budget"

    def stage(verb, object_id=course + "/lesson", grouping=None):
        context = {"contextActivities": {"grouping": [{"id": grouping}]}} if grouping else {}
        return rules.course_stage({"verb": {"id": verb}, "context": context}, object_id)

    assert stage(v.REGISTERED.id, course) == f"0{course}"
    assert stage(v.EXPERIENCED.id, grouping=course) == f"1{course}"
    assert stage(v.PASSED.id, course + "/quiz", grouping=course) == f"2{course}"
    assert stage(v.COMPLETED.id, course, grouping="http://elsewhere/programme") == f"3{course}"
    # A lesson outside any course is still activity (an active learner), of no course.
    assert stage(v.EXPERIENCED.id) == "1"
    # Verbs of no stage: no activity of a course.
    assert stage(v.FAILED.id, grouping=course) is None
    assert stage(v.ANSWERED.id, grouping=course) is None
    # A course IRI is kept to the length of the stored object's.
    assert stage(v.EXPERIENCED.id, grouping="http://x/" + "y" * 600) == "1" + ("http://x/" + "y" * 600)[:500]
    # ... and to 1,200 bytes (a b-tree entry of its index must fit), never cutting a character in two.
    wide = stage(v.EXPERIENCED.id, grouping="http://x/" + "𝔂" * 400)
    assert len(wide.encode()) <= 1 + 1_200 and wide.startswith("1http://x/𝔂") and wide.endswith("𝔂")
    # Shapes the LRS would refuse, written by hand: no course rather than an error.
    assert (
        rules.course_stage(
            {"verb": {"id": v.PASSED.id}, "context": {"contextActivities": {"grouping": {}}}}, "x"
        )
        == "2"
    )
    assert (
        rules.course_stage(
            {"verb": {"id": v.PASSED.id}, "context": {"contextActivities": {"grouping": [{"id": 3}]}}}, "x"
        )
        == "2"
    )
    assert rules.course_stage({"object": {"id": "x"}}, "x") is None
