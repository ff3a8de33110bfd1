"""Quiz grading: pure functions over a quiz block's value and the submitted form data."""

from dataclasses import dataclass, field


@dataclass
class QuestionResult:
    prompt: str
    selected: list[int]
    correct_choices: list[int]
    right: bool
    feedback: str


@dataclass
class QuizResult:
    results: list[QuestionResult] = field(default_factory=list)
    threshold: int = 80

    @property
    def score(self) -> int:
        return sum(1 for result in self.results if result.right)

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.total if self.total else 0.0

    @property
    def passed(self) -> bool:
        return self.total > 0 and self.percent >= self.threshold


def field_name(block_id: str, question_index: int) -> str:
    """Name of the form field of a question."""
    return f"quiz-{block_id}-q{question_index}"


def grade(quiz: dict, block_id: str, data) -> QuizResult:
    """Grade a quiz: a question is right when the learner selected exactly its correct choices.

    Args:
        quiz: the value of a :class:`~courses.blocks.QuizBlock`.
        block_id: the block's id in the lesson's StreamField.
        data: the submitted form data (a ``QueryDict`` or a dict of lists).
    """
    outcome = QuizResult(threshold=quiz["mastery_threshold"])
    for index, question in enumerate(quiz["questions"]):
        raw = (
            data.getlist(field_name(block_id, index))
            if hasattr(data, "getlist")
            else data.get(field_name(block_id, index), [])
        )
        selected = sorted({int(value) for value in raw if str(value).isdigit()})
        correct = [position for position, choice in enumerate(question["choices"]) if choice["correct"]]
        outcome.results.append(
            QuestionResult(
                prompt=question["prompt"],
                selected=selected,
                correct_choices=correct,
                right=selected == correct,
                feedback=question.get("feedback") or "",
            )
        )
    return outcome


def unanswered(quiz: dict, block_id: str, data) -> list[int]:
    """Return the (1-based) numbers of the questions with no answer selected."""
    return [
        index + 1
        for index in range(len(quiz["questions"]))
        if not (
            data.getlist(field_name(block_id, index))
            if hasattr(data, "getlist")
            else data.get(field_name(block_id, index))
        )
    ]
