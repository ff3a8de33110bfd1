import pytest
from wagtail.blocks.struct_block import StructBlockValidationError

from courses.blocks import QuestionBlock


def _question(kind, flags):
    block = QuestionBlock()
    return block, block.to_python(
        {
            "prompt": "Q ?",
            "kind": kind,
            "feedback": "",
            "choices": [{"text": f"c{i}", "correct": f} for i, f in enumerate(flags)],
        }
    )


@pytest.mark.parametrize("flags", [[True, True], [False, False]])
def test_single_choice_question_needs_exactly_one_correct_answer(flags):
    block, value = _question("single", flags)
    with pytest.raises(StructBlockValidationError):
        block.clean(value)


def test_multiple_choice_question_accepts_several_correct_answers():
    block, value = _question("multiple", [True, True, False])
    assert block.clean(value)["kind"] == "multiple"
