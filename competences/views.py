"""Read-only 1EdTech CASE 1.1 API over the published frameworks (JSON)."""

from django.http import Http404, JsonResponse
from django.urls import reverse
from django.views import View

from competences.exchange.case import find_node, identifier, package
from competences.models import Framework
from competences.services import framework_data


def _published():
    return Framework.objects.filter(status=Framework.Status.PUBLISHED).order_by("title")


def _json(payload, status=200):
    return JsonResponse(payload, status=status, json_dumps_params={"ensure_ascii": False})


class CaseView(View):
    http_method_names = ["get", "head", "options"]

    def package_url(self, request, document_identifier):
        return request.build_absolute_uri(reverse("lms_case:package", args=[document_identifier]))


class CFDocumentsView(CaseView):
    """``GET CFDocuments``: every published framework's CFDocument."""

    def get(self, request):
        documents = []
        for framework in _published():
            document = package(framework_data(framework))["CFDocument"]
            document["CFPackageURI"] = {
                "title": document["title"],
                "identifier": document["identifier"],
                "uri": self.package_url(request, document["identifier"]),
            }
            documents.append(document)
        return _json({"CFDocuments": documents})


class CFPackageView(CaseView):
    """``GET CFPackages/{id}``: a published framework as a whole package; 404 for an unknown id."""

    def get(self, request, sourced_id):
        framework = next((f for f in _published() if identifier(f.uri) == str(sourced_id)), None)
        if framework is None:
            raise Http404
        return _json(package(framework_data(framework)))


class CFItemView(CaseView):
    """``GET CFItems/{id}``: one item of a published framework, with its ``CFDocumentURI``."""

    def get(self, request, sourced_id):
        found = find_node([package(framework_data(f)) for f in _published()], str(sourced_id))
        if found is None:
            raise Http404
        node, pkg = found
        document = pkg["CFDocument"]
        return _json(
            {
                **node,
                "CFDocumentURI": {
                    "title": document["title"],
                    "identifier": document["identifier"],
                    "uri": document["uri"],
                },
            }
        )
