"""« Import agents »: upload a CSV file, read the preview, confirm; :mod:`lms.services.onboarding` decides."""

import hashlib

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from lms.admin_header import TitledHeaderMixin
from lms.services import onboarding, scope

SESSION_KEY = "lms_onboarding"
MAX_BYTES = 5 * 1024 * 1024


class ImportForm(forms.Form):
    collectivity = forms.ModelChoiceField(queryset=None, label=_("Collectivity"))
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "First line: column names. Columns: email (required), first_name, last_name (or name), service, "
            "job_profile, role (agent or elected official), mandate, category (A, B, C), filiere, statut."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collectivity"].queryset = scope.managed_collectivities(user)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(gettext("The file is larger than 5 MB."))
        raw = upload.read()
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise forms.ValidationError(gettext("The file is not UTF-8 or Windows-1252 text."))


class ImportView(TitledHeaderMixin, WagtailAdminTemplateMixin, FormView):
    """Step 1 uploads and shows the preview; step 2 (``confirm``) applies the previewed file."""

    template_name = "lms/onboarding/import.html"
    form_class = ImportForm
    page_title = _("Import agents")
    header_icon = "upload"

    def dispatch(self, request, *args, **kwargs):
        if not scope.managed_collectivities(request.user).exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def post(self, request, *args, **kwargs):
        if "confirm" in request.POST:
            return self.confirm()
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        plan = context.get("plan")
        if plan is not None:
            context["counts"] = {a: plan.count(a) for a in ("create", "add", "update", "unchanged", "error")}
        return context

    def form_valid(self, form):
        collectivity, content = form.cleaned_data["collectivity"], form.cleaned_data["file"]
        plan = onboarding.preview(collectivity, content)
        digest = hashlib.sha256(content.encode()).hexdigest()
        self.request.session[SESSION_KEY] = {
            "collectivity": collectivity.pk,
            "content": content,
            "digest": digest,
        }
        return self.render_to_response(self.get_context_data(form=form, plan=plan, digest=digest))

    def confirm(self):
        pending = self.request.session.get(SESSION_KEY)
        if not pending or pending["digest"] != self.request.POST.get("digest"):
            messages.error(self.request, gettext("Upload the file again: its preview has expired."))
            return redirect(reverse("lms_onboarding_import"))
        collectivity = (
            scope.managed_collectivities(self.request.user).filter(pk=pending["collectivity"]).first()
        )
        if collectivity is None:
            raise PermissionDenied
        try:
            result = onboarding.apply(collectivity, pending["content"], by=self.request.user)
        except onboarding.ImportRejected as rejected:
            response = self.render_to_response(self.get_context_data(plan=rejected.plan, digest=None))
            response.status_code = 400
            return response
        del self.request.session[SESSION_KEY]
        messages.success(
            self.request,
            ngettext(
                "%(created)d person created and invited; %(added)d added, %(updated)d updated, %(unchanged)d "
                "unchanged.",
                "%(created)d people created and invited; %(added)d added, %(updated)d updated, %(unchanged)d "
                "unchanged.",
                len(result.created),
            )
            % {
                "created": len(result.created),
                "added": result.added,
                "updated": result.updated,
                "unchanged": result.unchanged,
            },
        )
        return redirect(reverse("lms_membership:index"))
