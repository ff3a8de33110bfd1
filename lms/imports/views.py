"""Admin view of the Pix import: an HR manager uploads a campaign export for a collectivity they manage."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.admin_header import TitledHeaderMixin
from lms.services.scope import managed_collectivities

from .pix import PixImportRejected, import_profiles_collection

MAX_UPLOAD = 10 * 1024 * 1024


class PixImportForm(forms.Form):
    collectivity = forms.ModelChoiceField(label=_("Collectivity"), queryset=None, empty_label=None)
    file = forms.FileField(
        label=_("Pix export (CSV)"),
        help_text=_("In Pix Orga: your “collecte de profils” campaign → Activité → Exporter les résultats."),
    )

    def __init__(self, *args, collectivities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collectivity"].queryset = collectivities

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload


class PixImportView(TitledHeaderMixin, WagtailAdminTemplateMixin, FormView):
    """« Import Pix results »: only for the collectivities the viewer manages."""

    template_name = "lms/imports/pix.html"
    form_class = PixImportForm
    page_title = _("Import Pix results")
    header_icon = "upload"

    def dispatch(self, request, *args, **kwargs):
        self.collectivities = managed_collectivities(request.user)
        if not self.collectivities.exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "collectivities": self.collectivities}

    def form_valid(self, form):
        collectivity = form.cleaned_data["collectivity"]
        try:
            report = import_profiles_collection(form.cleaned_data["file"].read(), collectivity)
        except PixImportRejected as error:
            response = self.render_to_response(self.get_context_data(form=form, errors=error.errors))
            response.status_code = 400
            return response
        return self.render_to_response(
            self.get_context_data(
                form=self.get_form_class()(collectivities=self.collectivities),
                report=report,
                collectivity=collectivity,
            )
        )

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response
