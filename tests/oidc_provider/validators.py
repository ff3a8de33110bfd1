"""Claims of the test provider, shaped like ProConnect's: email, given_name, usual_name, siret."""

import json
import os

from oauth2_provider.oauth2_validators import OAuth2Validator


class ClaimsValidator(OAuth2Validator):
    oidc_claim_scope = None  # every claim in the id token and the userinfo, whatever the scopes

    def get_additional_claims(self, request):
        user = request.user
        sirets = json.loads(os.environ.get("OIDC_PROVIDER_SIRETS", "{}"))
        claims = {
            "email": user.email,
            "email_verified": True,
            "given_name": user.first_name,
            "usual_name": user.last_name,
            "family_name": user.last_name,
        }
        if user.username in sirets:
            claims["siret"] = sirets[user.username]
        return claims
