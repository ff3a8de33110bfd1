"""Wagtail page types of the content tree: catalogue → track → course → lesson."""

from urllib.parse import urlencode

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page

from . import services
from .blocks import LessonStreamBlock


class Audience(models.TextChoices):
    AGENTS = "agents", _("Territorial agents")
    ELECTED = "elected", _("Elected officials")
    PUBLIC = "public", _("General public")


class CataloguePage(Page):
    """The catalogue of tracks, usually the site's home page."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

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
        _("audience"), max_length=20, choices=Audience.choices, default=Audience.AGENTS
    )
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link", "ul"])

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

    summary = models.TextField(_("summary"), blank=True)
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"), default=30, help_text=_("Estimated time to complete the course.")
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("duration_minutes"),
        InlinePanel(
            "competence_mappings",
            label=_("Competences and levels"),
            heading=_("Competences and levels validated by the course's quiz"),
        ),
    ]
    parent_page_types = ["lms_courses.TrackPage"]
    subpage_types = ["lms_courses.LessonPage"]
    template = "lms_courses/course_page.html"

    class Meta:
        verbose_name = _("course")

    def lessons(self):
        return LessonPage.objects.child_of(self).live().specific()

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["lessons"] = list(self.lessons())
        context["mappings"] = self.competence_mappings.select_related("competence")
        context["progress"] = services.course_progress(request.user, self, context["lessons"])
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
        _("level"), validators=[MinValueValidator(1), MaxValueValidator(8)], default=1
    )

    panels = [FieldPanel("competence"), FieldPanel("level")]

    class Meta(Orderable.Meta):
        verbose_name = _("competence and level")


class LessonPage(Page):
    """A lesson (séquence): text and quizzes."""

    body = StreamField(LessonStreamBlock(), verbose_name=_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("body")]
    parent_page_types = ["lms_courses.CoursePage"]
    subpage_types = []
    template = "lms_courses/lesson_page.html"

    class Meta:
        verbose_name = _("lesson")

    def course(self) -> CoursePage:
        return self.get_parent().specific

    def quiz_blocks(self):
        return [block for block in self.body if block.block_type == "quiz"]

    def serve(self, request, *args, **kwargs):
        if request.method == "POST":
            if not request.user.is_authenticated:
                return redirect(f"{services.login_url()}?{urlencode({'next': self.url})}")
            outcome = services.submit_quiz(request.user, self, request.POST)
            if outcome.errors:
                request.quiz_outcome = outcome
                response = super().serve(request, *args, **kwargs)
                response.status_code = 400
                return response
            return HttpResponseRedirect(f"{self.url}#result-{outcome.block_id}", status=303)
        if request.user.is_authenticated:
            services.open_lesson(request.user, self)
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(services.lesson_context(request.user, self, getattr(request, "quiz_outcome", None)))
        return context
