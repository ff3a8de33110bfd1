"""Wagtail admin viewsets of the frameworks and job profiles (registered in ``wagtail_hooks.py``)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets import HeaderButton

from competences.forms import JobProfileForm
from competences.models import Competence, Framework, JobProfile
from competences.services import InUse, delete_competence, delete_framework, delete_job_profile


class LinksColumn(Column):
    """Links to the tree and the exports of a framework."""

    def get_value(self, instance):
        tree = reverse("lms_competences_tree", args=[instance.pk])
        export = reverse("lms_competences_export", args=[instance.pk])
        return format_html(
            '<a href="{}">{}</a> · {} <a href="{}?format=case">CASE</a> · <a href="{}?format=csv">CSV</a>'
            ' · <a href="{}?format=moodle">Moodle</a>',
            tree,
            gettext("Tree"),
            gettext("Download:"),
            export,
            export,
            export,
        )


class RefusingDeleteView(generic.DeleteView):
    """Deletes through a service that refuses when other records refer to the object (evidence, holders…)."""

    delete_service = None

    def form_valid(self, form):
        try:
            type(self).delete_service(self.object)
        except InUse as error:
            messages.error(self.request, str(error))
            return redirect(self.get_edit_url_for_refusal())
        messages.success(self.request, self.get_success_message())
        return redirect(self.get_success_url())

    def get_edit_url_for_refusal(self):
        return reverse(self.edit_url_name, args=[self.object.pk])


class CompetenceDeleteView(RefusingDeleteView):
    delete_service = delete_competence


class FrameworkDeleteView(RefusingDeleteView):
    delete_service = delete_framework


class JobProfileDeleteView(RefusingDeleteView):
    delete_service = delete_job_profile


#: The form of a job profile: who it is for, and its targets (shared with the HR managers' viewset).
JOB_PROFILE_PANELS = [
    FieldPanel("name"),
    FieldRowPanel([FieldPanel("slug"), FieldPanel("collectivity")]),
    FieldPanel("description"),
    InlinePanel("targets", heading=_("Target levels"), label=_("Target")),
]


class FrameworkIndexView(generic.IndexView):
    @cached_property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.request.user.has_perm("lms_competences.add_framework"):
            buttons.append(
                HeaderButton(_("Import"), url=reverse("lms_competences_import"), icon_name="upload")
            )
        return buttons


class FrameworkViewSet(ModelViewSet):
    model = Framework
    icon = "list-ul"
    menu_label = _("Frameworks")
    add_to_admin_menu = False
    delete_view_class = FrameworkDeleteView
    index_view_class = FrameworkIndexView
    copy_view_enabled = False
    search_fields = ["title", "slug", "description"]
    list_filter = ["status", "language"]
    list_display = [
        TitleColumn("title", label=_("Title"), url_name="lms_competences_framework:edit"),
        "version",
        "status",
        LinksColumn("links", label=_("Tree and exports")),
    ]
    panels = [
        MultiFieldPanel(
            [
                FieldPanel("title"),
                FieldRowPanel([FieldPanel("slug"), FieldPanel("version"), FieldPanel("language")]),
                FieldPanel("description"),
                FieldRowPanel([FieldPanel("source"), FieldPanel("licence")]),
                FieldPanel("uri"),
                FieldRowPanel([FieldPanel("status"), FieldPanel("previous_version")]),
            ],
            heading=_("Framework"),
        ),
        InlinePanel("levels", heading=_("Level scale"), label=_("Level")),
        InlinePanel("areas", heading=_("Areas"), label=_("Area")),
    ]


class CompetenceViewSet(ModelViewSet):
    model = Competence
    icon = "tag"
    menu_label = _("Competences")
    add_to_admin_menu = False
    delete_view_class = CompetenceDeleteView
    copy_view_enabled = False
    search_fields = ["code", "title", "description"]
    list_filter = ["framework", "retired"]
    list_display = [
        TitleColumn("title", label=_("Title"), url_name="lms_competences_competence:edit"),
        "code",
        "framework",
        "area",
        BooleanColumn("retired", label=_("Retired")),
    ]
    panels = [
        FieldRowPanel([FieldPanel("framework"), FieldPanel("area")]),
        FieldRowPanel([FieldPanel("code"), FieldPanel("sort_order")]),
        FieldPanel("title"),
        FieldPanel("description"),
        FieldPanel("uri"),
        FieldPanel("retired"),
        InlinePanel("level_descriptors", heading=_("Level descriptors"), label=_("Level descriptor")),
        InlinePanel(
            "mappings_out",
            heading=_("Mappings to other versions and frameworks"),
            label=_("Mapping"),
            help_text=_("A level validated on this competence counts as the same level on the target."),
        ),
    ]


class JobProfileViewSet(ModelViewSet):
    model = JobProfile
    icon = "user"
    menu_label = _("Job profiles")
    add_to_admin_menu = False
    copy_view_enabled = True
    search_fields = ["name", "description"]
    list_filter = ["collectivity"]
    list_display = [
        TitleColumn("name", label=_("Name"), url_name="lms_competences_jobprofile:edit"),
        "collectivity",
    ]
    delete_view_class = JobProfileDeleteView
    edit_handler = ObjectList(JOB_PROFILE_PANELS, base_form_class=JobProfileForm)


class FrameworksGroup(ModelViewSetGroup):
    menu_label = _("Frameworks")
    menu_icon = "list-ul"
    menu_order = 260
    items = (
        FrameworkViewSet("lms_competences_framework"),
        CompetenceViewSet("lms_competences_competence"),
        JobProfileViewSet("lms_competences_jobprofile"),
    )
