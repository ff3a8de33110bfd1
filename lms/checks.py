"""System checks of what the host site must set for Tremplin's promises to hold (``manage.py check``)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security)
def admin_asks_no_other_host(app_configs, **kwargs):
    """Warn when the Wagtail admin would make the browsers of its users ask another host.

    Tremplin is self-hosted and sovereign: no page, the admin's included, makes a request to a third party.
    Wagtail's defaults make two — avatars from gravatar.com, which receives a hash of each user's e-mail
    address, and a check of releases.wagtail.org on a superuser's dashboard. The apps plug into any host
    site, whose settings decide: these warnings say which to set.
    """
    warnings = []
    if getattr(settings, "WAGTAIL_GRAVATAR_PROVIDER_URL", "//www.gravatar.com/avatar") is not None:
        warnings.append(
            Warning(
                "The Wagtail admin loads users' avatars from another host (gravatar.com by default), which "
                "receives a hash of each user's e-mail address.",
                hint="Set WAGTAIL_GRAVATAR_PROVIDER_URL = None: Wagtail then shows its own default avatar.",
                id="lms.W001",
            )
        )
    if getattr(settings, "WAGTAIL_ENABLE_UPDATE_CHECK", True):
        warnings.append(
            Warning(
                "The Wagtail admin asks releases.wagtail.org for the latest version, from superusers' "
                "browsers.",
                hint="Set WAGTAIL_ENABLE_UPDATE_CHECK = False.",
                id="lms.W002",
            )
        )
    return warnings
