"""Wagtail page types of the content tree: catalogue → track → course → (module →) lesson."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.forms import CheckboxSelectMultiple
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, HelpPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page

from .blocks import VALIDATION_RULE_HELP, LessonStreamBlock


class Audience(models.TextChoices):
    AGENTS = "agents", _("Territorial agents")
    ELECTED = "elected", _("Elected officials")
    PUBLIC = "public", _("General public")


class CourseLevel(models.TextChoices):
    DISCOVERY = "discovery", _("Discovery")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")


class CataloguePage(Page):
    """The catalogue of tracks, usually the site's home page."""

    intro = RichTextField(
        _("introduction"),
        blank=True,
        features=["bold", "italic", "link"],
        help_text=_("A few sentences that welcome visitors and say who the tracks are for."),
    )

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["lms_courses.TrackPage"]
    template = "lms_courses/catalogue_page.html"

    class Meta:
        verbose_name = _("catalogue")

    def tracks(self):
        return TrackPage.objects.child_of(self).live().specific()


class TrackPage(Page):
    """A track (parcours): a curated sequence of courses for one audience."""

    audience = models.CharField(
        _("audience"),
        max_length=20,
        choices=Audience.choices,
        default=Audience.AGENTS,
        help_text=_("Who the track is written for."),
    )
    intro = RichTextField(
        _("introduction"),
        blank=True,
        features=["bold", "italic", "link", "ul"],
        help_text=_("What the learner will be able to do at the end of the track."),
    )

    content_panels = [*Page.content_panels, FieldPanel("audience"), FieldPanel("intro")]
    parent_page_types = ["lms_courses.CataloguePage"]
    subpage_types = ["lms_courses.CoursePage"]
    template = "lms_courses/track_page.html"

    class Meta:
        verbose_name = _("track")

    def courses(self):
        return CoursePage.objects.child_of(self).live().specific()


class CoursePage(Page):
    """A course (formation): lessons, and the competences and levels it develops."""

    summary = models.TextField(
        _("summary"), blank=True, help_text=_("Two or three sentences shown in the track and the catalogue.")
    )
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"), default=30, help_text=_("Estimated time to complete the course.")
    )
    level = models.CharField(
        _("level"),
        max_length=20,
        choices=CourseLevel.choices,
        default=CourseLevel.DISCOVERY,
        help_text=_("How much the learner should already know."),
    )
    for_agents = models.BooleanField(_("territorial agents"), default=True)
    for_elected = models.BooleanField(_("elected officials"), default=False)
    for_public = models.BooleanField(_("general public"), default=False)
    open_access = models.BooleanField(
        _("open without an account"),
        default=False,
        help_text=_(
            "Visitors can read the course and take its quizzes without an account; their progress is kept "
            "when they log in or create an account."
        ),
    )
    prerequisites = ParentalManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="required_by",
        verbose_name=_("prerequisites"),
        help_text=_("Courses a learner must have completed before starting this one."),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        MultiFieldPanel(
            [FieldPanel("duration_minutes"), FieldPanel("level")],
            heading=_("Duration and level"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("for_agents"),
                FieldPanel("for_elected"),
                FieldPanel("for_public"),
                FieldPanel("open_access"),
            ],
            heading=_("Audiences"),
        ),
        FieldPanel("prerequisites", widget=CheckboxSelectMultiple),
        MultiFieldPanel(
            [
                HelpPanel(content=VALIDATION_RULE_HELP),
                InlinePanel("competence_mappings", label=_("Competence and level")),
            ],
            heading=_("Competences and levels developed by the course"),
        ),
    ]
    parent_page_types = ["lms_courses.TrackPage"]
    subpage_types = ["lms_courses.ModulePage", "lms_courses.LessonPage"]
    template = "lms_courses/course_page.html"

    class Meta:
        verbose_name = _("course")

    def lessons(self):
        """The course's live lessons, in reading order, whether or not they sit in modules."""
        return LessonPage.objects.descendant_of(self).live().specific().order_by("path")

    def audiences(self) -> list[str]:
        labels = dict(Audience.choices)
        flags = [(Audience.AGENTS, self.for_agents), (Audience.ELECTED, self.for_elected)]
        flags.append((Audience.PUBLIC, self.for_public))
        return [labels[value] for value, on in flags if on]

    def serve(self, request, *args, **kwargs):
        from . import views

        return views.serve_course(self, request, super().serve, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        from . import services

        context = super().get_context(request, *args, **kwargs)
        context.update(services.course_context(request, self))
        return context


class CourseCompetence(Orderable):
    """A (competence, level) pair a course develops; passing its quiz validates it."""

    page = ParentalKey(CoursePage, on_delete=models.CASCADE, related_name="competence_mappings")
    competence = models.ForeignKey(
        "lms_competences.Competence",
        on_delete=models.PROTECT,
        related_name="course_mappings",
        verbose_name=_("competence"),
    )
    level = models.PositiveSmallIntegerField(
        _("level"),
        validators=[MinValueValidator(1), MaxValueValidator(8)],
        default=1,
        help_text=_("The level of the framework's scale (1 to 8) the course brings the learner to."),
    )

    panels = [FieldPanel("competence"), FieldPanel("level")]

    class Meta(Orderable.Meta):
        verbose_name = _("competence and level")


class ModulePage(Page):
    """An optional module grouping lessons of a long course."""

    intro = models.TextField(_("introduction"), blank=True, help_text=_("What the module covers."))

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["lms_courses.CoursePage"]
    subpage_types = ["lms_courses.LessonPage"]
    template = "lms_courses/module_page.html"

    class Meta:
        verbose_name = _("module")

    def course(self) -> CoursePage:
        return CoursePage.objects.ancestor_of(self).specific().first()

    def lessons(self):
        return LessonPage.objects.child_of(self).live().specific()


class LessonPage(Page):
    """A lesson (séquence): text, media, quizzes, self-assessments and external activities."""

    body = StreamField(
        LessonStreamBlock(),
        verbose_name=_("body"),
        blank=True,
        help_text=_(
            "Short sections: text, images with their alternative text, videos with captions and transcript, "
            "quizzes. Preview the lesson before publishing."
        ),
    )

    content_panels = [*Page.content_panels, FieldPanel("body")]
    parent_page_types = ["lms_courses.CoursePage", "lms_courses.ModulePage"]
    subpage_types = []
    template = "lms_courses/lesson_page.html"

    class Meta:
        verbose_name = _("lesson")

    def course(self) -> CoursePage:
        return CoursePage.objects.ancestor_of(self).specific().first()

    def quiz_blocks(self):
        return [block for block in self.body if block.block_type == "quiz"]

    def self_assessment_blocks(self):
        return [block for block in self.body if block.block_type == "self_assessment"]

    def external_blocks(self):
        return [block for block in self.body if block.block_type == "external_activity"]

    def serve(self, request, *args, **kwargs):
        from . import views

        return views.serve_lesson(self, request, super().serve, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        from . import services

        context = super().get_context(request, *args, **kwargs)
        context.update(services.lesson_context(request, self, getattr(request, "lms_outcome", None)))
        return context
