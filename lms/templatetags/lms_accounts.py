"""Template tags of the sign-in pages."""

from django import template

from lms.conf import lms_settings

register = template.Library()


@register.simple_tag
def lms_login_options() -> dict:
    """What the login page offers: public sign-up, identity providers, the lock-out rule."""
    return {
        "public_signup": lms_settings.PUBLIC_SIGNUP,
        "providers": [
            {"key": key, "label": conf.get("label", key)}
            for key, conf in (lms_settings.OIDC_PROVIDERS or {}).items()
        ],
        "lockout_failures": lms_settings.LOCKOUT_FAILURES,
        "lockout_minutes": max(1, lms_settings.LOCKOUT_WINDOW // 60),
    }
