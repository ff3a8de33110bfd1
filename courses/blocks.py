"""StreamField blocks of lessons: rich text and quizzes."""

from django.core.exceptions import ValidationError
from django.forms.utils import ErrorList
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError


class AnswerChoiceBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Answer"), max_length=500)
    correct = blocks.BooleanBlock(label=_("Correct answer"), required=False)

    class Meta:
        icon = "tick"
        label = _("Answer choice")


class QuestionBlock(blocks.StructBlock):
    SINGLE = "single"
    MULTIPLE = "multiple"

    prompt = blocks.TextBlock(label=_("Question"))
    kind = blocks.ChoiceBlock(
        label=_("Kind"),
        choices=[(SINGLE, _("Single choice")), (MULTIPLE, _("Multiple choice"))],
        default=SINGLE,
        help_text=_(
            "Single choice: exactly one correct answer. Multiple choice: the learner ticks every correct one."
        ),
    )
    choices = blocks.ListBlock(AnswerChoiceBlock(), label=_("Answer choices"), min_num=2)
    feedback = blocks.TextBlock(
        label=_("Feedback"),
        required=False,
        help_text=_("Shown after the attempt: why the right answer is right."),
    )

    class Meta:
        icon = "help"
        label = _("Question")

    def clean(self, value):
        value = super().clean(value)
        correct = sum(1 for choice in value["choices"] if choice["correct"])
        if value["kind"] == self.SINGLE and correct != 1:
            raise StructBlockValidationError(
                block_errors={"choices": ErrorList([ValidationError(_("Mark exactly one correct answer."))])}
            )
        if value["kind"] == self.MULTIPLE and correct < 1:
            raise StructBlockValidationError(
                block_errors={"choices": ErrorList([ValidationError(_("Mark at least one correct answer."))])}
            )
        return value


class QuizBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=255)
    mastery_threshold = blocks.IntegerBlock(
        label=_("Mastery threshold (%)"),
        min_value=1,
        max_value=100,
        default=80,
        help_text=_(
            "Percentage of right answers needed to pass. Passing the quiz validates, for the learner, "
            "the competences and levels of the course."
        ),
    )
    questions = blocks.ListBlock(QuestionBlock(), label=_("Questions"), min_num=1)

    class Meta:
        icon = "form"
        label = _("Quiz")


class LessonStreamBlock(blocks.StreamBlock):
    text = blocks.RichTextBlock(
        label=_("Text"), features=["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link"]
    )
    quiz = QuizBlock()
