from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

from lms import urls as lms_urls
from lms.xapi import urls as xapi_urls

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("compte/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("ims/case/v1p1/", include("competences.urls")),
    path("xapi/", include(xapi_urls)),
    path("", include(lms_urls)),
    path("", include(wagtail_urls)),
]
