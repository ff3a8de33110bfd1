from courses.grading import grade, unanswered
from tests.conftest import QUIZ


def _data(**answers):
    return {f"quiz-b-q{index}": values for index, values in answers.items()}


def test_a_question_is_right_only_with_exactly_its_correct_choices():
    result = grade(QUIZ, "b", {"quiz-b-q0": ["0"], "quiz-b-q1": ["0"]})
    assert [r.right for r in result.results] == [True, False]


def test_quiz_passes_at_the_mastery_threshold():
    assert grade(QUIZ, "b", {"quiz-b-q0": ["0"], "quiz-b-q1": ["0", "1"]}).passed
    assert not grade(QUIZ, "b", {"quiz-b-q0": ["0"], "quiz-b-q1": ["1"]}).passed


def test_unanswered_lists_question_numbers_from_one():
    assert unanswered(QUIZ, "b", {"quiz-b-q0": ["0"]}) == [2]


def test_garbage_choice_values_count_as_wrong_answers():
    assert grade(QUIZ, "b", {"quiz-b-q0": ["zero"], "quiz-b-q1": ["0", "1"]}).score == 1
