"""Quiz grading: pure functions over a quiz block's value and the submitted form data.

Form fields (all work without JavaScript):

- single choice, true/false, multiple choice: ``quiz-<block>-q<n>`` (the chosen answer's index, several for
  multiple choice; ``true``/``false`` for true/false);
- ordering: ``quiz-<block>-q<n>-i<k>``, the position (1-based) the learner gives to item ``k``;
- matching: ``quiz-<block>-q<n>-p<k>``, the index of the match chosen for the pair ``k``'s item;
- short text: ``quiz-<block>-q<n>``, the text typed.
"""

import random
import unicodedata
from dataclasses import dataclass, field

SINGLE, MULTIPLE, TRUE_FALSE, ORDERING, MATCHING, SHORT_TEXT = (
    "single",
    "multiple",
    "true_false",
    "ordering",
    "matching",
    "short_text",
)


@dataclass
class QuestionResult:
    prompt: str
    answer: object
    right: bool
    feedback: str
    competence: str = ""
    level: int | None = None
    #: Feedback attached to the answers the learner chose.
    answer_feedback: list[str] = field(default_factory=list)

    @property
    def selected(self):
        return self.answer


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

    def level_rates(self) -> dict[tuple[str, int], tuple[int, int]]:
        """Return ``{(competence uri, level): (right, total)}`` over the mapped questions."""
        rates: dict[tuple[str, int], tuple[int, int]] = {}
        for result in self.results:
            if result.competence and result.level:
                right, total = rates.get((result.competence, result.level), (0, 0))
                rates[(result.competence, result.level)] = (right + int(result.right), total + 1)
        return rates

    def validated_levels(self) -> list[tuple[str, int]]:
        """Apply the validation rule to the mapped questions.

        Level N of a competence is validated when at least ``threshold`` % of the questions mapped to
        (that competence, level N) are right.
        """
        return sorted(
            key for key, (right, total) in self.level_rates().items() if 100 * right >= self.threshold * total
        )


def field_name(block_id: str, question_index: int) -> str:
    """Name of the form field of a question."""
    return f"quiz-{block_id}-q{question_index}"


def item_field_name(block_id: str, question_index: int, item: int) -> str:
    """Name of the form field of an ordering question's item."""
    return f"{field_name(block_id, question_index)}-i{item}"


def pair_field_name(block_id: str, question_index: int, pair: int) -> str:
    """Name of the form field of a matching question's pair."""
    return f"{field_name(block_id, question_index)}-p{pair}"


def _getlist(data, name) -> list[str]:
    if hasattr(data, "getlist"):
        return data.getlist(name)
    value = data.get(name, [])
    return value if isinstance(value, list) else [value]


def _first(data, name) -> str:
    values = _getlist(data, name)
    return str(values[0]).strip() if values else ""


def normalise(text: str) -> str:
    """Lower-case, strip accents and squeeze spaces: how short text answers are compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


#: The longest answer a learner may type (a short-text question expects a word or a phrase).
MAX_ANSWER_LENGTH = 200


def whole_number(value) -> int | None:
    """The number a form field holds in ASCII digits (``"3"``), else ``None``.

    ``str.isdigit`` alone accepts « ² » or « ٣ », which ``int`` refuses or reads as another number.
    """
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() else None


def _indices(values) -> list[int]:
    return sorted({number for number in map(whole_number, values) if number is not None})


def _grade_question(question: dict, block_id: str, index: int, data) -> tuple[object, bool, list[str]]:
    kind = question["kind"]
    name = field_name(block_id, index)
    choices = question.get("choices") or []
    if kind in (SINGLE, MULTIPLE):
        selected = _indices(_getlist(data, name))
        correct = [position for position, choice in enumerate(choices) if choice["correct"]]
        feedback = [choices[i].get("feedback") or "" for i in selected if i < len(choices)]
        return selected, selected == correct, [text for text in feedback if text]
    if kind == TRUE_FALSE:
        answer = _first(data, name)
        expected = "true" if question.get("statement_is_true") else "false"
        return answer, answer == expected, []
    if kind == ORDERING:
        positions = [_first(data, item_field_name(block_id, index, k)) for k in range(len(choices))]
        answer = [whole_number(p) for p in positions]
        return answer, answer == list(range(1, len(choices) + 1)), []
    if kind == MATCHING:
        pairs = question.get("pairs") or []
        chosen = [_first(data, pair_field_name(block_id, index, k)) for k in range(len(pairs))]
        answer = [whole_number(c) for c in chosen]
        return answer, answer == list(range(len(pairs))), []
    if kind == SHORT_TEXT:
        answer = _first(data, name)
        accepted = {normalise(a) for a in question.get("accepted_answers") or [] if a.strip()}
        return answer, normalise(answer) in accepted, []
    return None, False, []


def grade(quiz: dict, block_id: str, data) -> QuizResult:
    """Grade a quiz: each question is right or wrong as a whole.

    Args:
        quiz: the value of a :class:`~courses.blocks.QuizBlock`.
        block_id: the block's id in the lesson's StreamField.
        data: the submitted form data (a ``QueryDict`` or a dict of lists).
    """
    outcome = QuizResult(threshold=quiz["mastery_threshold"])
    for index, question in enumerate(quiz["questions"]):
        answer, right, answer_feedback = _grade_question(question, block_id, index, data)
        outcome.results.append(
            QuestionResult(
                prompt=question["prompt"],
                answer=answer,
                right=right,
                feedback=question.get("feedback") or "",
                competence=question.get("competence") or "",
                level=question.get("level") or None,
                answer_feedback=answer_feedback,
            )
        )
    return outcome


def _answered(question: dict, block_id: str, index: int, data) -> bool:
    kind = question["kind"]
    if kind == ORDERING:
        return all(
            _first(data, item_field_name(block_id, index, k))
            for k in range(len(question.get("choices") or []))
        )
    if kind == MATCHING:
        return all(
            _first(data, pair_field_name(block_id, index, k)) for k in range(len(question.get("pairs") or []))
        )
    return bool(_first(data, field_name(block_id, index)))


def unanswered(quiz: dict, block_id: str, data) -> list[int]:
    """Return the (1-based) numbers of the questions left without an answer."""
    return [
        index + 1
        for index, question in enumerate(quiz["questions"])
        if not _answered(question, block_id, index, data)
    ]


def display_order(length: int, seed: str, shuffle: bool) -> list[int]:
    """Return the order in which to show ``length`` items: stable for one seed, shuffled if asked."""
    order = list(range(length))
    if shuffle:
        random.Random(seed).shuffle(order)
    return order
