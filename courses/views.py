"""How course and lesson pages answer requests: they parse the request and call :mod:`courses.services`."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from . import services


def _to_login(page):
    return redirect(f"{services.login_url()}?{urlencode({'next': page.url})}")


def _blocked_by_prerequisites(request, course, status=403):
    missing = services.missing_prerequisites(course, services.completed_ids(services.learner_of(request)))
    if not missing:
        return None
    return TemplateResponse(
        request,
        "lms_courses/prerequisites.html",
        {"page": course, "course": course, "missing": missing},
        status=status,
    )


def serve_course(page, request, serve, *args, **kwargs):
    """The course page; a POST with ``action=enrol`` enrols the signed-in learner (self-enrolment)."""
    if request.method == "POST":
        if not request.user.is_authenticated:
            return _to_login(page)
        blocked = _blocked_by_prerequisites(request, page)
        if blocked:
            return blocked
        services.self_enrol(request.user, page)
        messages.success(request, _("You are enrolled in this course."))
        first = page.lessons().first()
        return HttpResponseRedirect(first.url if first else page.url, status=303)
    return serve(request, *args, **kwargs)


def serve_lesson(page, request, serve, *args, **kwargs):
    """A lesson: GET records the view; POST submits a quiz, a self-assessment or launches an activity.

    Courses not open to the public need an account; prerequisites block access with a page (403) that
    links to the missing courses.
    """
    course = page.course()
    if not request.user.is_authenticated and not course.open_access:
        return _to_login(page)
    blocked = _blocked_by_prerequisites(request, course)
    if blocked:
        return blocked
    learner = services.learner_of(request)
    if request.method == "POST":
        action = request.POST.get("action", "quiz")
        if action == "launch":
            if not request.user.is_authenticated:
                return _to_login(page)
            url = services.launch_external(request.user, page, request.POST.get("block", ""))
            if url is None:
                return HttpResponseBadRequest(_("This activity does not exist (any more)."))
            return HttpResponseRedirect(url, status=303)
        if action == "self_assessment":
            outcome = services.submit_self_assessment(learner, page, request.POST)
        else:
            outcome = services.submit_quiz(learner, page, request.POST)
        if outcome.errors:
            request.lms_outcome = outcome
            response = serve(request, *args, **kwargs)
            response.status_code = 400
            return response
        if action == "self_assessment":
            messages.success(request, _("Your self-assessment is saved."))
        return HttpResponseRedirect(f"{page.url}#result-{outcome.block_id}", status=303)
    services.open_lesson(learner, page)
    return serve(request, *args, **kwargs)
