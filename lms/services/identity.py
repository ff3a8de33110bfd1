"""Single sign-on: turn an identity asserted by an OpenID Connect provider into a Tremplin account.

The identity's ``siret`` (ProConnect) or email domain attaches the person as an agent of the collectivity
whose SIREN or email domain it matches, only when that collectivity allows it (``sso_attachment``).
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from lms.models import Collectivity, ExternalIdentity, Membership

from .organisations import add_membership, learner_for


@dataclass(frozen=True)
class Identity:
    """What a provider asserts about a person (claims already verified by the provider backend)."""

    provider: str
    subject: str
    email: str = ""
    given_name: str = ""
    family_name: str = ""
    siret: str = ""


def collectivity_for(identity: Identity) -> Collectivity | None:
    """Return the collectivity an agent's identity attaches to, if one allows it."""
    allowing = Collectivity.objects.filter(sso_attachment=True)
    siren = "".join(ch for ch in identity.siret if ch.isdigit())[:9]
    if len(siren) == 9:
        match = allowing.filter(siren=siren).first()
        if match:
            return match
    domain = identity.email.rpartition("@")[2].lower()
    if domain:
        return allowing.filter(email_domain__iexact=domain).first()
    return None


@transaction.atomic
def sign_in(identity: Identity, *, audience: str = "public"):
    """Return the account for ``identity``, creating or linking it on first sign-in.

    An identity seen before signs in to its account. Otherwise an account with the same (provider-verified)
    email is linked, or a new one is created without a password. For the ``agents`` audience, the person is
    attached as an agent to the collectivity their SIRET or email domain designates, if it allows it.

    Args:
        identity: the provider's assertion.
        audience: ``"agents"`` (ProConnect) or ``"public"`` (FranceConnect).

    Raises:
        ValueError: when the identity has neither subject nor email.
    """
    if not identity.subject:
        raise ValueError("An identity needs a subject.")
    users = get_user_model().objects
    link = ExternalIdentity.objects.filter(provider=identity.provider, subject=identity.subject).first()
    user = link.user if link else None
    if user is None and identity.email:
        user = users.filter(email__iexact=identity.email).order_by("pk").first()
    if user is None:
        username = identity.email.lower() or f"{identity.provider}-{identity.subject}"[:150]
        user = users.create_user(
            username=username,
            email=identity.email.lower(),
            first_name=identity.given_name[:150],
            last_name=identity.family_name[:150],
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if link is None:
        ExternalIdentity.objects.create(user=user, provider=identity.provider, subject=identity.subject)
    learner_for(user)
    if audience == "agents":
        collectivity = collectivity_for(identity)
        if collectivity and not Membership.objects.filter(user=user, collectivity=collectivity).exists():
            add_membership(user, collectivity, Membership.Role.AGENT)
    return user
