"""Admin views of the frameworks beyond the viewsets: the tree, reordering, import and export."""

import base64

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView, TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from competences.exchange import FORMATS, ImportRejected, export_framework, guess_format, import_framework
from competences.exchange import preview_import as preview_file
from competences.models import Area, Competence, Framework
from competences.services import FrameworkDataError, create_new_version, move

FILE_NAMES = {"case": "{slug}.case.json", "csv": "{slug}.csv", "moodle": "{slug}.moodle.csv"}
CONTENT_TYPES = {"case": "application/json", "csv": "text/csv", "moodle": "text/csv"}
MAX_UPLOAD = 5 * 1024 * 1024


class TreeSearchForm(forms.Form):
    """The search box of the tree (a NUL character, which PostgreSQL refuses, is an error, not a 500)."""

    q = forms.CharField(required=False, max_length=255)


class NewVersionForm(forms.Form):
    version = forms.CharField(max_length=Framework._meta.get_field("version").max_length)


class FrameworksHeaderMixin:
    """Head an admin page with its place among the frameworks: Home › Frameworks › this page.

    (Without it the header would read « Home »: Wagtail shows the last breadcrumb there, and the page title
    only to screen readers.)
    """

    def get_breadcrumbs_items(self):
        return [
            *super().get_breadcrumbs_items(),
            {"url": reverse("lms_competences_framework:index"), "label": _("Frameworks")},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]


class FrameworkTreeView(
    PermissionRequiredMixin, FrameworksHeaderMixin, WagtailAdminTemplateMixin, TemplateView
):
    """A framework as a tree: area → competence → level descriptors, with edit and reorder actions."""

    permission_required = "lms_competences.view_framework"
    template_name = "lms_competences/admin/tree.html"
    header_icon = "list-ul"

    def dispatch(self, request, *args, **kwargs):
        self.framework = get_object_or_404(Framework, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return str(self.framework)

    def get_page_subtitle(self):
        return self.framework.get_status_display()

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        return self.render_to_response(context, status=400 if context["search_errors"] else 200)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        search = TreeSearchForm(self.request.GET)
        query = search.cleaned_data["q"] if search.is_valid() else ""
        competences = self.framework.competences.prefetch_related("level_descriptors", "mappings_out__target")
        if query:
            competences = competences.filter(title__icontains=query) | competences.filter(
                code__istartswith=query
            )
        by_area = {}
        for competence in competences.order_by("sort_order", "code"):
            by_area.setdefault(competence.area_id, []).append(competence)
        areas = [
            {"area": area, "competences": by_area.get(area.pk, [])}
            for area in self.framework.areas.order_by("sort_order", "code")
            if not query or area.pk in by_area
        ]
        context.update(
            framework=self.framework,
            areas=areas,
            levels=self.framework.levels.order_by("number"),
            query=query,
            search_errors=[error for errors in search.errors.values() for error in errors],
            can_change=self.request.user.has_perm("lms_competences.change_competence"),
            can_add=self.request.user.has_perm("lms_competences.add_framework"),
        )
        return context


class MoveView(PermissionRequiredMixin, View):
    """POST: move an area or a competence up or down in the framework's tree."""

    permission_required = "lms_competences.change_competence"
    http_method_names = ["post"]

    def post(self, request, kind, pk, direction):
        model = Area if kind == "area" else Competence
        item = get_object_or_404(model, pk=pk)
        move(item, -1 if direction == "up" else 1)
        return redirect(reverse("lms_competences_tree", args=[item.framework_id]) + f"#{kind}-{item.pk}")


class ExportView(PermissionRequiredMixin, View):
    """Download a framework in one of the exchange formats."""

    permission_required = "lms_competences.view_framework"

    def get(self, request, pk):
        framework = get_object_or_404(Framework, pk=pk)
        fmt = request.GET.get("format", "case")
        if fmt not in FORMATS:
            return HttpResponse(gettext("Unknown format."), status=400, content_type="text/plain")
        response = HttpResponse(
            export_framework(framework, fmt), content_type=f"{CONTENT_TYPES[fmt]}; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{FILE_NAMES[fmt].format(slug=framework.slug)}"'
        )
        return response


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"), required=False, help_text=_("CASE 1.1 JSON, Tremplin CSV or Moodle CSV.")
    )
    format = forms.ChoiceField(
        label=_("Format"),
        required=False,
        choices=[
            ("", _("Guess from the file")),
            ("case", _("CASE 1.1 package (JSON)")),
            ("csv", _("Tremplin CSV")),
            ("moodle", _("Moodle competency framework CSV")),
        ],
    )
    #: The previewed file, carried to the confirmation (base64 of its UTF-8 text).
    content = forms.CharField(required=False, widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload:
            if upload.size > MAX_UPLOAD:
                raise forms.ValidationError(_("The file is larger than 5 MB."))
            try:
                cleaned["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as error:
                raise forms.ValidationError(_("The file is not UTF-8 text.")) from error
            cleaned["format"] = cleaned.get("format") or guess_format(upload.name, cleaned["text"])
        elif cleaned.get("content"):
            try:
                cleaned["text"] = base64.b64decode(cleaned["content"]).decode("utf-8")
            except ValueError as error:
                raise forms.ValidationError(_("The file is not UTF-8 text.")) from error
        else:
            raise forms.ValidationError(_("Choose a file."))
        if not cleaned.get("format"):
            cleaned["format"] = guess_format("", cleaned["text"])
        return cleaned


class ImportView(PermissionRequiredMixin, FrameworksHeaderMixin, WagtailAdminTemplateMixin, FormView):
    """Upload a framework file, see what it would do (or why it is rejected), then confirm."""

    permission_required = "lms_competences.add_framework"
    template_name = "lms_competences/admin/import.html"
    form_class = ImportForm
    page_title = _("Import a framework")
    header_icon = "upload"

    def form_valid(self, form):
        text, fmt = form.cleaned_data["text"], form.cleaned_data["format"]
        if form.cleaned_data.get("confirm"):
            try:
                framework = import_framework(text, fmt)
            except ImportRejected as error:
                response = self.render_to_response(self.get_context_data(form=form, errors=error.errors))
                response.status_code = 400
                return response
            messages.success(
                self.request,
                ngettext(
                    "%(framework)s imported: %(count)d competence.",
                    "%(framework)s imported: %(count)d competences.",
                    framework.competences.count(),
                )
                % {"framework": framework, "count": framework.competences.count()},
            )
            return redirect("lms_competences_tree", pk=framework.pk)
        preview = preview_file(text, fmt)
        confirm_form = ImportForm(
            initial={
                "content": base64.b64encode(text.encode("utf-8")).decode("ascii"),
                "format": fmt,
                "confirm": True,
            }
        )
        response = self.render_to_response(
            self.get_context_data(
                form=form, preview=preview, confirm_form=confirm_form, errors=preview.errors
            )
        )
        if preview.errors:
            response.status_code = 400
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class NewVersionView(PermissionRequiredMixin, View):
    """POST: start a new (draft) version of a framework, its competences mapped to their copies."""

    permission_required = "lms_competences.add_framework"
    http_method_names = ["post"]

    def post(self, request, pk):
        framework = get_object_or_404(Framework, pk=pk)
        form = NewVersionForm(request.POST)
        if not form.is_valid():
            if "required" in [error.code for error in form.errors.as_data().get("version", [])]:
                messages.error(request, gettext("Give the new version a name, e.g. 2026."))
            else:
                messages.error(request, " ".join(form.errors["version"]))
            return redirect("lms_competences_tree", pk=framework.pk)
        version = form.cleaned_data["version"]
        try:
            new = create_new_version(framework, version)
        except FrameworkDataError as error:
            messages.error(request, " ".join(error.errors))
            return redirect("lms_competences_tree", pk=framework.pk)
        messages.success(
            request,
            gettext("Draft %(framework)s created; publish it when it is ready.") % {"framework": new},
        )
        return redirect("lms_competences_tree", pk=new.pk)
