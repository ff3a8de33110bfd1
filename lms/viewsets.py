"""Wagtail admin viewsets for collectivities, services, memberships, sharing agreements and the audit log.

Every view of these viewsets reads its rows through :func:`lms.services.scope.scoped_queryset`: an object
outside the viewer's scope is a 404, and listings and exports hold nothing else. Permissions come from
:class:`ScopedPermissionPolicy` (HR managers by their memberships, platform administrators as
superusers),
not from Django model permissions.
"""

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import ObjectList
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import BasePermissionPolicy

from competences.forms import JobProfileForm
from competences.models import JobProfile
from competences.services import InUse, delete_job_profile
from competences.viewsets import JOB_PROFILE_PANELS
from lms import spreadsheets
from lms.form_fields import with_bounded_choices
from lms.models import AggregateSharing, AuditLogEntry, Collectivity, Membership, Service
from lms.services import audit, scope


class ScopedPermissionPolicy(BasePermissionPolicy):
    """Platform administrators may do ``admin_actions``; HR managers ``hr_actions``; on objects in scope."""

    def __init__(self, model, *, hr_actions=(), admin_actions=("add", "change", "delete", "view")):
        super().__init__(model)
        self.hr_actions = set(hr_actions)
        self.admin_actions = set(admin_actions)

    def _is_hr(self, user) -> bool:
        # Cached on the user object: the admin menu asks once per viewset and per request.
        if not hasattr(user, "_lms_is_hr"):
            user._lms_is_hr = Membership.objects.filter(user=user, role=Membership.Role.HR_MANAGER).exists()
        return user._lms_is_hr

    def user_has_permission(self, user, action):
        if not (user.is_authenticated and user.is_active):
            return False
        if user.is_superuser:
            return action in self.admin_actions
        return action in self.hr_actions and self._is_hr(user)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        users = get_user_model().objects.filter(is_active=True)
        condition = Q(is_superuser=True) if self.admin_actions & set(actions) else Q(pk__in=[])
        if self.hr_actions & set(actions):
            condition |= Q(lms_memberships__role=Membership.Role.HR_MANAGER)
        return users.filter(condition).distinct()

    def users_with_permission(self, action):
        return self.users_with_any_permission([action])

    def user_has_permission_for_instance(self, user, action, instance):
        return (
            self.user_has_permission(user, action)
            and scope.scoped_queryset(user, self.model).filter(pk=instance.pk).exists()
        )

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return any(self.user_has_permission_for_instance(user, action, instance) for action in actions)

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return self.model._default_manager.none()
        return scope.scoped_queryset(user, self.model)

    def instances_user_has_permission_for(self, user, action):
        return self.instances_user_has_any_permission_for(user, [action])


class ScopedViewMixin:
    """Restricts a generic admin view to the rows the viewer may see (404 for any other)."""

    def scoped(self):
        return scope.scoped_queryset(self.request.user, self.model)

    def setup(self, request, *args, **kwargs):
        # Out-of-scope objects are a 404 before any permission check (which would redirect with a message).
        pk = kwargs.get(getattr(self, "pk_url_kwarg", "pk"))
        self.request = request
        if pk is not None and not self.scoped().filter(pk=unquote(str(pk))).exists():
            raise Http404
        super().setup(request, *args, **kwargs)

    def get_base_queryset(self):
        return super().get_base_queryset().filter(pk__in=self.scoped().values("pk"))

    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        if not self.scoped().filter(pk=obj.pk).exists():
            raise Http404
        return obj


class ScopedIndexView(ScopedViewMixin, generic.IndexView):
    def preprocess_field_value(self, field, value, export_format):
        """Exported names stay text: never a formula in a CSV, never a character that breaks an XLSX."""
        value = super().preprocess_field_value(field, value, export_format)
        if export_format == self.FORMAT_CSV:
            return spreadsheets.neutralised(value)
        return spreadsheets.xlsx_value(value)

    def render_to_response(self, context, **response_kwargs):
        if self.is_export and self.model is Membership:
            audit.record(
                self.request.user,
                audit.Action.EXPORTED,
                what=f"memberships ({self.request.GET.get('export')}, {len(context['object_list'])} rows)",
            )
        return super().render_to_response(context, **response_kwargs)


class ScopedCreateView(ScopedViewMixin, generic.CreateView):
    pass


class ScopedEditView(ScopedViewMixin, generic.EditView):
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if isinstance(self.object, Membership):
            audit.record(
                request.user,
                audit.Action.VIEWED,
                self.object.user,
                what="membership",
                collectivity=self.object.collectivity,
            )
        return response


class ScopedDeleteView(ScopedViewMixin, generic.DeleteView):
    pass


class ScopedInspectView(ScopedViewMixin, generic.InspectView):
    pass


class ScopedHistoryView(ScopedViewMixin, history.HistoryView):
    pass


class ScopedUsageView(ScopedViewMixin, usage.UsageView):
    pass


class ScopedModelViewSet(ModelViewSet):
    """A model viewset whose every view is scoped (see :class:`ScopedViewMixin`)."""

    index_view_class = ScopedIndexView
    add_view_class = ScopedCreateView
    edit_view_class = ScopedEditView
    delete_view_class = ScopedDeleteView
    inspect_view_class = ScopedInspectView
    history_view_class = ScopedHistoryView
    usage_view_class = ScopedUsageView
    copy_view_enabled = False
    add_to_admin_menu = False


class ScopedForm(WagtailAdminModelForm):
    """Limits the choices of related fields to what the viewer may see."""

    scoped_fields: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        managed = scope.managed_collectivities(user) if user else Collectivity.objects.none()
        limits = {
            "collectivity": managed,
            "member": managed,
            "grouping": Collectivity.objects.filter(
                kind__in=Collectivity.GROUPING_KINDS, members__in=managed
            ).distinct(),
            "service": scope.visible_services(user) if user else Service.objects.none(),
            "parent": scope.visible_services(user) if user else Service.objects.none(),
            "user": scope.visible_people(user) if user else get_user_model().objects.none(),
            "job_profile": scope.visible_job_profiles(user) if user else JobProfile.objects.none(),
        }
        for name, queryset in limits.items():
            if name in self.fields and isinstance(self.fields[name], forms.ModelChoiceField):
                self.fields[name].queryset = queryset


class MembershipForm(ScopedForm):
    class Meta:
        model = Membership
        fields = [
            "user",
            "collectivity",
            "role",
            "mandate",
            "service",
            "job_profile",
            "category",
            "filiere",
            "statut",
        ]


class ServiceForm(ScopedForm):
    class Meta:
        model = Service
        fields = ["collectivity", "parent", "name"]


class SharingForm(ScopedForm):
    class Meta:
        model = AggregateSharing
        fields = ["member", "grouping", "revoked_at"]

    def save(self, commit=True):
        if self.instance.pk is None and self.for_user is not None:
            self.instance.granted_by = self.for_user
        return super().save(commit=commit)

    def clean(self):
        data = super().clean()
        member, grouping = data.get("member"), data.get("grouping")
        if member and grouping and not grouping.members.filter(pk=member.pk).exists():
            raise forms.ValidationError(_("The member must belong to the grouping."))
        return data


def _managed(request):
    return scope.managed_collectivities(request.user) if request else Collectivity.objects.none()


def _services(request):
    return scope.visible_services(request.user) if request else Service.objects.none()


class ServiceFilterSet(WagtailFilterSet):
    collectivity = django_filters.ModelChoiceFilter(queryset=_managed, label=_("collectivity"))

    class Meta:
        model = Service
        fields = ["collectivity"]


class MembershipFilterSet(WagtailFilterSet):
    collectivity = django_filters.ModelChoiceFilter(queryset=_managed, label=_("collectivity"))
    service = django_filters.ModelChoiceFilter(queryset=_services, label=_("service"))

    class Meta:
        model = Membership
        fields = ["collectivity", "service", "role", "category", "filiere", "statut"]


class CollectivityViewSet(ScopedModelViewSet):
    model = Collectivity
    icon = "site"
    inspect_view_enabled = True
    list_display = ["name", "kind", "siren", "insee_code", "population"]
    list_filter = ["kind"]
    search_fields = ["name", "siren", "insee_code"]
    form_fields = [
        "name",
        "slug",
        "kind",
        "siren",
        "insee_code",
        "population",
        "members",
        "email_domain",
        "sso_attachment",
        "retention_days",
    ]

    def get_form_class(self, for_update=False):
        return with_bounded_choices(super().get_form_class(for_update))


class ServiceViewSet(ScopedModelViewSet):
    model = Service
    icon = "folder-open-inverse"
    list_display = ["name", "parent", "collectivity"]
    filterset_class = ServiceFilterSet
    search_fields = ["name"]

    def get_form_class(self, for_update=False):
        return ServiceForm


class MembershipViewSet(ScopedModelViewSet):
    model = Membership
    icon = "group"
    list_display = ["user", "collectivity", "role", "service", "job_profile", "category", "statut"]
    filterset_class = MembershipFilterSet
    list_export = ["user", "collectivity", "role", "mandate", "service", "job_profile", "category", "filiere"]
    export_filename = "memberships"
    search_fields = ["user__username", "user__last_name", "user__email"]

    def get_form_class(self, for_update=False):
        return MembershipForm


class MemberSideMixin:
    """Only the member's side changes or withdraws an agreement; the grouping's side only reads it."""

    def scoped(self):
        return AggregateSharing.objects.filter(member__in=scope.managed_collectivities(self.request.user))


class SharingEditView(MemberSideMixin, ScopedEditView):
    pass


class SharingDeleteView(MemberSideMixin, ScopedDeleteView):
    pass


class SharingViewSet(ScopedModelViewSet):
    model = AggregateSharing
    icon = "link"
    list_display = ["member", "grouping", "granted_at", "revoked_at"]
    edit_view_class = SharingEditView
    delete_view_class = SharingDeleteView

    def get_form_class(self, for_update=False):
        return SharingForm


class AuditLogViewSet(ScopedModelViewSet):
    model = AuditLogEntry
    icon = "history"
    inspect_view_enabled = True
    list_display = ["at", "actor_label", "action", "subject_label", "what"]
    list_filter = ["action"]
    search_fields = ["actor_label", "subject_label", "what"]
    form_fields = ["what"]


class JobProfilePermissionPolicy(ScopedPermissionPolicy):
    """HR managers read the shared job profiles and change only their own collectivities' ones.

    Used by :class:`LocalJobProfileViewSet`'s views only, never registered for the model: the editors'
    viewset (``competences.viewsets``) keeps Django's model permissions on every profile.
    """

    def __init__(self):
        super().__init__(JobProfile, hr_actions=("add", "change", "delete", "view"))

    def user_has_permission_for_instance(self, user, action, instance):
        if action == "view":
            return super().user_has_permission_for_instance(user, action, instance)
        return (
            self.user_has_permission(user, action)
            and scope.managed_job_profiles(user).filter(pk=instance.pk).exists()
        )


JOB_PROFILE_POLICY = JobProfilePermissionPolicy()


class JobProfilePolicyMixin:
    permission_policy = JOB_PROFILE_POLICY


class OwnJobProfilesMixin(JobProfilePolicyMixin):
    """Changing or deleting is for the viewer's own collectivities' profiles: any other id is a 404."""

    def scoped(self):
        return scope.managed_job_profiles(self.request.user)


class LocalJobProfileForm(JobProfileForm, ScopedForm):
    """A job profile of one of the viewer's collectivities (an HR manager cannot make a shared one)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        if user is not None and not user.is_superuser:
            self.fields["collectivity"].required = True
            self.fields["collectivity"].empty_label = None


class OwnerColumn(Column):
    def get_value(self, instance):
        return instance.collectivity or _("Shared (read only)")


class LocalJobProfileIndexView(JobProfilePolicyMixin, ScopedIndexView):
    def _own(self, instance) -> bool:
        if not hasattr(self, "_own_ids"):
            self._own_ids = set(scope.managed_job_profiles(self.request.user).values_list("pk", flat=True))
        return instance.pk in self._own_ids

    def get_edit_url(self, instance):
        return super().get_edit_url(instance) if self._own(instance) else None

    def get_delete_url(self, instance):
        return super().get_delete_url(instance) if self._own(instance) else None

    def get_copy_url(self, instance):
        return None


class LocalJobProfileCreateView(JobProfilePolicyMixin, ScopedCreateView):
    pass


class LocalJobProfileEditView(OwnJobProfilesMixin, ScopedEditView):
    pass


class LocalJobProfileInspectView(JobProfilePolicyMixin, ScopedInspectView):
    @cached_property
    def _own(self):
        return scope.managed_job_profiles(self.request.user).filter(pk=self.object.pk).exists()

    def get_edit_url(self):
        return super().get_edit_url() if self._own else None

    def get_delete_url(self):
        return super().get_delete_url() if self._own else None

    def get_collectivity_display_value(self):
        return self.object.collectivity or gettext("Shared (read only)")

    def get_targets_display_value(self):
        targets = self.object.targets.select_related("competence__framework").order_by(
            "competence__framework__title", "competence__sort_order"
        )
        return (
            "; ".join(
                gettext("%(competence)s (%(framework)s): level %(level)d")
                % {
                    "competence": target.competence,
                    "framework": target.competence.framework,
                    "level": target.level,
                }
                for target in targets
            )
            or "—"
        )


class LocalJobProfileDeleteView(OwnJobProfilesMixin, ScopedDeleteView):
    """Refuses to delete a profile that people hold, saying how many (HR reassigns them first)."""

    def form_valid(self, form):
        try:
            delete_job_profile(self.object)
        except InUse as error:
            messages.error(self.request, str(error))
            return redirect(reverse(self.edit_url_name, args=[self.object.pk]))
        messages.success(self.request, self.get_success_message())
        return redirect(self.get_success_url())


class LocalJobProfileViewSet(ScopedModelViewSet):
    """The HR managers' job profiles: the shared ones to read, their collectivities' own to change."""

    model = JobProfile
    icon = "user"
    menu_label = _("Job profiles")
    inspect_view_enabled = True
    index_view_class = LocalJobProfileIndexView
    add_view_class = LocalJobProfileCreateView
    edit_view_class = LocalJobProfileEditView
    inspect_view_class = LocalJobProfileInspectView
    delete_view_class = LocalJobProfileDeleteView
    history_view_enabled = False
    usage_view_enabled = False
    search_fields = ["name", "description"]
    list_display = [
        TitleColumn("name", label=_("Name"), url_name="lms_jobprofile:inspect"),
        OwnerColumn("collectivity", label=_("Collectivity")),
    ]
    edit_handler = ObjectList(JOB_PROFILE_PANELS, base_form_class=LocalJobProfileForm)
    inspect_view_fields = ["name", "description", "collectivity", "targets"]

    @cached_property
    def menu_item_class(self):
        def is_shown(_self, request):
            return JOB_PROFILE_POLICY.user_has_any_permission(request.user, ["view"])

        return type("LocalJobProfileMenuItem", (MenuItem,), {"is_shown": is_shown})


class OrganisationViewSetGroup(ViewSetGroup):
    menu_label = _("Organisation")
    menu_icon = "group"
    menu_order = 260
    items = (
        CollectivityViewSet("lms_collectivity"),
        ServiceViewSet("lms_service"),
        MembershipViewSet("lms_membership"),
        SharingViewSet("lms_sharing"),
        AuditLogViewSet("lms_audit"),
        LocalJobProfileViewSet("lms_jobprofile"),
    )


#: (model, policy) pairs that ``wagtail_hooks`` registers.
PERMISSION_POLICIES = [
    (Collectivity, ScopedPermissionPolicy(Collectivity, hr_actions=("view",))),
    (Service, ScopedPermissionPolicy(Service, hr_actions=("add", "change", "delete", "view"))),
    (Membership, ScopedPermissionPolicy(Membership, hr_actions=("add", "change", "delete", "view"))),
    (AggregateSharing, ScopedPermissionPolicy(AggregateSharing, hr_actions=("add", "change", "view"))),
    (AuditLogEntry, ScopedPermissionPolicy(AuditLogEntry, admin_actions=("view",))),
]
