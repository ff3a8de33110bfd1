"""Grading of every question kind, and the validation rule of levels by mapped questions."""

import pytest
from wagtail.blocks.struct_block import StructBlockValidationError

from courses.blocks import QuestionBlock
from courses.grading import grade, unanswered

C42 = "https://example.org/crcn/4.2"


def _q(kind, **fields):
    return {
        "prompt": "Q",
        "kind": kind,
        "feedback": "",
        "choices": [],
        "pairs": [],
        "accepted_answers": [],
        **fields,
    }


def _quiz(*questions, threshold=80):
    return {"title": "T", "mastery_threshold": threshold, "questions": list(questions)}


def test_true_false_question_is_right_with_the_expected_value():
    quiz = _quiz(_q("true_false", statement_is_true=False))
    assert grade(quiz, "b", {"quiz-b-q0": ["false"]}).results[0].right


def test_ordering_question_needs_every_item_at_its_position():
    quiz = _quiz(_q("ordering", choices=[{"text": "a", "correct": False}, {"text": "b", "correct": False}]))
    right = {"quiz-b-q0-i0": ["1"], "quiz-b-q0-i1": ["2"]}
    wrong = {"quiz-b-q0-i0": ["2"], "quiz-b-q0-i1": ["1"]}
    assert [grade(quiz, "b", right).passed, grade(quiz, "b", wrong).passed] == [True, False]


def test_matching_question_needs_each_item_matched_to_its_pair():
    quiz = _quiz(_q("matching", pairs=[{"left": "a", "right": "1"}, {"left": "b", "right": "2"}]))
    assert grade(quiz, "b", {"quiz-b-q0-p0": ["0"], "quiz-b-q0-p1": ["1"]}).passed


def test_short_text_ignores_case_accents_and_spaces():
    quiz = _quiz(_q("short_text", accepted_answers=["Délégué à la protection"]))
    assert grade(quiz, "b", {"quiz-b-q0": ["  delegue  A la PROTECTION "]}).passed


def test_an_ordering_question_with_one_item_left_out_is_unanswered():
    quiz = _quiz(_q("ordering", choices=[{"text": "a", "correct": False}, {"text": "b", "correct": False}]))
    assert unanswered(quiz, "b", {"quiz-b-q0-i0": ["1"]}) == [1]


def test_level_is_validated_when_enough_of_its_questions_are_right():
    questions = [_q("true_false", statement_is_true=True, competence=C42, level=3) for _ in range(5)]
    questions += [_q("true_false", statement_is_true=True, competence=C42, level=4) for _ in range(2)]
    answers = {f"quiz-b-q{i}": ["true"] for i in range(7)}
    answers["quiz-b-q6"] = ["false"]
    assert grade(_quiz(*questions), "b", answers).validated_levels() == [(C42, 3)]


def test_a_question_mapped_to_a_competence_without_a_level_is_refused():
    block = QuestionBlock()
    value = block.to_python(_q("true_false", competence="", level=3))
    with pytest.raises(StructBlockValidationError):
        block.clean(value)


@pytest.mark.parametrize("answer", ["²", "١", "\x00", "99999999999999999999"])
def test_an_answer_that_is_not_an_ascii_number_is_wrong_not_an_error(answer):
    quiz = _quiz(
        _q("single", choices=[{"text": "a", "correct": True}]),
        _q("ordering", choices=[{"text": "a", "correct": False}]),
        _q("matching", pairs=[{"left": "a", "right": "1"}]),
    )
    data = {"quiz-b-q0": [answer], "quiz-b-q1-i0": [answer], "quiz-b-q2-p0": [answer]}
    assert grade(quiz, "b", data).score == 0
