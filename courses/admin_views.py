"""Admin views of the courses app: an HR manager assigns a course (thin: the form, then a service)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lms.services import learning
from lms.services.scope import managed_collectivities

from . import services
from .forms import AssignmentForm


def assign_course(request):
    """Assign a course to people, a job profile or a service of the manager's collectivity."""
    collectivities = managed_collectivities(request.user)
    if not collectivities.exists():
        raise PermissionDenied
    form = AssignmentForm(request.POST or None, collectivities=collectivities)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        course = data["course"].specific
        if data["job_profile"]:
            people = learning.learners_for_assignment(data["collectivity"], job_profile=data["job_profile"])
            kind = learning.EnrolmentKind.JOB_PROFILE
        elif data["service"]:
            people = learning.learners_for_assignment(data["collectivity"], service=data["service"])
            kind = learning.EnrolmentKind.SERVICE
        else:
            people = learning.learners_for_assignment(data["collectivity"], users=data["learners"])
            kind = learning.EnrolmentKind.PERSON
        enrolments = services.assign(
            course, people, assigned_by=request.user, due_date=data["due_date"], kind=kind
        )
        messages.success(
            request,
            ngettext(
                "« %(course)s » is assigned to %(count)d person.",
                "« %(course)s » is assigned to %(count)d people.",
                len(enrolments),
            )
            % {"course": course.title, "count": len(enrolments)},
        )
        return redirect("lms_courses_assign")
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(
        request,
        "lms_courses/admin/assign.html",
        {"form": form, "page_title": _("Assign a course")},
        status=status,
    )
