"""Bearer access tokens issued by a tenant's own identity provider (JWTs), accepted on the API next
to the platform-issued tokens. To be completed: signature against the provider's JWKS (cached,
refreshed when an unknown key id shows up), issuer, audience and expiry checked."""

from __future__ import annotations

from kpi_platform.identity.service import InvalidToken


def authenticate(tenant, raw: str):
    """The principal a JWT access token of `tenant`'s provider stands for; InvalidToken otherwise."""
    raise InvalidToken()
