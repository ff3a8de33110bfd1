"""Admin forms of the frameworks app."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from competences.services import target_errors


class JobProfileForm(WagtailAdminModelForm):
    """A job profile with its targets: levels within each framework's scale, each competence once."""

    def clean(self):
        data = super().clean()
        formset = self.formsets.get("targets") if hasattr(self, "formsets") else None
        if formset is None or not formset.is_valid():
            return data
        kept = [
            form
            for form in formset.forms
            if form.cleaned_data and not (formset.can_delete and formset._should_delete_form(form))
        ]
        errors = target_errors(
            (form.cleaned_data.get("competence"), form.cleaned_data.get("level")) for form in kept
        )
        for position, (field, message) in errors.items():
            kept[position].add_error(field, message)
        if errors:
            raise forms.ValidationError(_("Some target levels are wrong: see below."))
        return data
