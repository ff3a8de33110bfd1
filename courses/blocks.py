"""StreamField blocks of lessons: text, media, callouts, quizzes, self-assessment and external activities.

Help texts speak to editors (concepteurs pédagogiques); their French comes from the catalogue.
"""

from django.core.exceptions import ValidationError
from django.forms.utils import ErrorList
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

TEXT_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link"]


def competence_choices():
    """The competences editors can map a question to, as ``(uri, "code title")`` pairs."""
    from competences.models import Competence

    try:
        return [
            (uri, f"{code} {title}")
            for uri, code, title in Competence.objects.order_by("framework__title", "sort_order").values_list(
                "uri", "code", "title"
            )
        ]
    except Exception:  # noqa: BLE001 — the table may not exist yet (first migration)
        return []


def _error(field: str, message) -> StructBlockValidationError:
    return StructBlockValidationError(block_errors={field: ErrorList([ValidationError(message)])})


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"))
    alt = blocks.CharBlock(
        label=_("Alternative text"),
        max_length=300,
        help_text=_(
            "Required. Describe what the image brings to the lesson for a person who cannot see it. "
            "Write « - » only if the image is purely decorative."
        ),
    )
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=300)

    class Meta:
        icon = "image"
        label = _("Image")
        template = "lms_courses/blocks/image.html"


class VideoBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=255)
    video = DocumentChooserBlock(
        label=_("Video file"),
        help_text=_("An MP4 or WebM file uploaded to the documents library (served by this site)."),
    )
    captions = DocumentChooserBlock(
        label=_("Captions file (WebVTT)"),
        help_text=_("Required: a .vtt subtitles file in French, for deaf and hard-of-hearing learners."),
    )
    transcript = blocks.RichTextBlock(
        label=_("Transcript"),
        features=["bold", "italic", "ol", "ul", "link"],
        help_text=_("Required: the full text of the video, including what is shown and not said."),
    )

    class Meta:
        icon = "media"
        label = _("Video")
        template = "lms_courses/blocks/video.html"


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("Document"))
    title = blocks.CharBlock(label=_("Link text"), max_length=255)
    description = blocks.TextBlock(label=_("Description"), required=False)

    class Meta:
        icon = "doc-full"
        label = _("Downloadable document")
        template = "lms_courses/blocks/document.html"


class CalloutBlock(blocks.StructBlock):
    kind = blocks.ChoiceBlock(
        label=_("Kind"),
        choices=[("info", _("Good to know")), ("tip", _("Tip")), ("warning", _("Warning"))],
        default="info",
    )
    text = blocks.RichTextBlock(label=_("Text"), features=["bold", "italic", "link", "ul"])

    class Meta:
        icon = "warning"
        label = _("Callout")
        template = "lms_courses/blocks/callout.html"


class AnswerChoiceBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Answer"), max_length=500)
    correct = blocks.BooleanBlock(label=_("Correct answer"), required=False)
    feedback = blocks.CharBlock(
        label=_("Feedback for this answer"),
        required=False,
        max_length=500,
        help_text=_("Shown after the attempt to a learner who chose this answer."),
    )

    class Meta:
        icon = "tick"
        label = _("Answer choice")


class MatchingPairBlock(blocks.StructBlock):
    left = blocks.CharBlock(label=_("Item"), max_length=255)
    right = blocks.CharBlock(label=_("Its match"), max_length=255)

    class Meta:
        icon = "link"
        label = _("Pair")


class QuestionBlock(blocks.StructBlock):
    """One question; which fields count depends on its kind (explained in each help text)."""

    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"
    ORDERING = "ordering"
    MATCHING = "matching"
    SHORT_TEXT = "short_text"
    CHOICE_KINDS = (SINGLE, MULTIPLE)

    prompt = blocks.TextBlock(label=_("Question"))
    kind = blocks.ChoiceBlock(
        label=_("Kind"),
        choices=[
            (SINGLE, _("Single choice")),
            (MULTIPLE, _("Multiple choice")),
            (TRUE_FALSE, _("True or false")),
            (ORDERING, _("Ordering")),
            (MATCHING, _("Matching")),
            (SHORT_TEXT, _("Short text")),
        ],
        default=SINGLE,
        help_text=_(
            "Single choice: exactly one correct answer. "
            "Multiple choice: the learner ticks every correct one. "
            "True or false: tick « The statement is true » if it is. Ordering: list the answers in the right "
            "order, they are shown shuffled. Matching: fill in the pairs. Short text: list the accepted "
            "answers (case, accents and extra spaces are ignored)."
        ),
    )
    choices = blocks.ListBlock(
        AnswerChoiceBlock(),
        label=_("Answer choices"),
        min_num=0,
        default=[],
        help_text=_("Single and multiple choice; for ordering, the items in the right order."),
    )
    statement_is_true = blocks.BooleanBlock(
        label=_("The statement is true"), required=False, help_text=_("True or false questions only.")
    )
    pairs = blocks.ListBlock(
        MatchingPairBlock(), label=_("Pairs"), min_num=0, default=[], help_text=_("Matching questions only.")
    )
    accepted_answers = blocks.ListBlock(
        blocks.CharBlock(max_length=255, label=_("Accepted answer")),
        label=_("Accepted answers"),
        min_num=0,
        default=[],
        help_text=_("Short text questions only."),
    )
    feedback = blocks.TextBlock(
        label=_("Feedback"),
        required=False,
        help_text=_("Shown after the attempt: why the right answer is right."),
    )
    competence = blocks.ChoiceBlock(
        label=_("Competence assessed"),
        choices=competence_choices,
        required=False,
        help_text=_(
            "Optional. With a level, this question counts towards validating that level of that competence "
            "(see the validation rule of the quiz)."
        ),
    )
    level = blocks.IntegerBlock(label=_("Level assessed"), required=False, min_value=1, max_value=8)

    class Meta:
        icon = "help"
        label = _("Question")

    def clean(self, value):
        value = super().clean(value)
        kind = value["kind"]
        correct = sum(1 for choice in value["choices"] if choice["correct"])
        if kind == self.SINGLE and (correct != 1 or len(value["choices"]) < 2):
            raise _error("choices", _("Give at least two answers and mark exactly one correct answer."))
        if kind == self.MULTIPLE and (correct < 1 or len(value["choices"]) < 2):
            raise _error("choices", _("Give at least two answers and mark at least one correct answer."))
        if kind == self.ORDERING and len(value["choices"]) < 2:
            raise _error("choices", _("List at least two items, in the right order."))
        if kind == self.MATCHING and len(value["pairs"]) < 2:
            raise _error("pairs", _("Give at least two pairs."))
        if kind == self.SHORT_TEXT and not [a for a in value["accepted_answers"] if a.strip()]:
            raise _error("accepted_answers", _("Give at least one accepted answer."))
        if bool(value.get("competence")) != bool(value.get("level")):
            raise _error("level", _("Give both a competence and a level, or neither."))
        return value


VALIDATION_RULE_HELP = _(
    "Validation rule: the quiz is passed when at least this percentage of all its questions are right. "
    "In a passed quiz, level N of a competence is validated when at least this percentage of the questions "
    "mapped to that competence and level N are right — for example, level 3 of 4.2 is validated when at "
    "least 80 % of its level-3 questions are right. When no question is mapped, passing the quiz validates "
    "the competences and levels of the course. A failed quiz validates nothing."
)


class QuizBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=255)
    mastery_threshold = blocks.IntegerBlock(
        label=_("Mastery threshold (%)"),
        min_value=1,
        max_value=100,
        default=80,
        help_text=VALIDATION_RULE_HELP,
    )
    shuffle = blocks.BooleanBlock(
        label=_("Shuffle questions and answers"),
        required=False,
        default=False,
        help_text=_("Each learner sees the questions and answer choices in their own order."),
    )
    max_attempts = blocks.IntegerBlock(
        label=_("Attempts allowed"),
        min_value=0,
        default=0,
        help_text=_("0 for unlimited attempts."),
    )
    questions = blocks.ListBlock(QuestionBlock(), label=_("Questions"), min_num=1)

    class Meta:
        icon = "form"
        label = _("Quiz")


class SelfAssessmentBlock(blocks.StructBlock):
    """Positionnement: the learner declares their level for each competence of the course."""

    BEFORE = "before"
    AFTER = "after"

    title = blocks.CharBlock(label=_("Title"), max_length=255, default=_("Where do you stand?"))
    moment = blocks.ChoiceBlock(
        label=_("Moment"),
        choices=[(BEFORE, _("Before the course")), (AFTER, _("After the course"))],
        default=BEFORE,
    )
    intro = blocks.TextBlock(
        label=_("Introduction"),
        required=False,
        help_text=_(
            "The learner places themself on the level scale for each competence of the course. The answer "
            "is kept as a declared level, apart from validated levels."
        ),
    )

    class Meta:
        icon = "user"
        label = _("Self-assessment")


class ExternalActivityBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), max_length=255)
    description = blocks.TextBlock(label=_("Description"), required=False)
    url = blocks.CharBlock(
        label=_("Launch address"),
        max_length=1000,
        help_text=_(
            "Address of the xAPI activity or package (e.g. /media/packages/escape-game/index.html). It is "
            "opened with the learner's credentials for this site's /xapi/ endpoint (endpoint, auth, actor, "
            "registration and activity_id parameters)."
        ),
    )
    activity_id = blocks.CharBlock(
        label=_("Activity id (IRI)"),
        required=False,
        max_length=500,
        help_text=_("The id the package uses in its statements; left empty, one is made for it."),
    )

    class Meta:
        icon = "link-external"
        label = _("External activity (xAPI)")


class LessonStreamBlock(blocks.StreamBlock):
    text = blocks.RichTextBlock(label=_("Text"), features=TEXT_FEATURES)
    image = ImageBlock()
    video = VideoBlock()
    document = DocumentBlock()
    callout = CalloutBlock()
    quiz = QuizBlock()
    self_assessment = SelfAssessmentBlock()
    external_activity = ExternalActivityBlock()
