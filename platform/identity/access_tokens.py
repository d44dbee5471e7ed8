"""Bearer access tokens issued by a tenant's own identity provider (JWTs), accepted on the API next
to the platform-issued tokens.

A token is accepted when it is signed (asymmetric algorithms only) by a key of the provider's JWKS,
its issuer is the provider, its audience includes the audience the tenant configured for the API,
and it has not expired. The person it names is then found by linking.principal_for_claims.

The provider's keys are cached per (tenant, issuer) for the whole process: fetched once, kept for
JWKS_TTL_SECONDS, fetched again early when a token names a key id the cache does not know (the
provider rotated its keys), but never more than once per REFRESH_FLOOR_SECONDS, so tokens with
made-up key ids cannot make us hammer the provider. A provider that cannot be reached answers 503
(identity_provider_unavailable): the client's token may well be fine, so 401 would mislead it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import requests
from joserfc import jws, jwt
from joserfc.errors import ExpiredTokenError, InvalidClaimError, JoseError, MissingClaimError
from joserfc.jwk import KeySet

from kpi_platform.db import db
from kpi_platform.errors import DomainError
from kpi_platform.identity import linking
from kpi_platform.identity.models import IdentityProvider, Principal
from kpi_platform.identity.service import InvalidToken

log = logging.getLogger(__name__)

# Asymmetric only: "none" and HS* (whose key would be the public JWKS itself) are refused.
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519")
# RFC 9068 access tokens say "at+jwt"; many providers (Keycloak, Entra ID) still say "JWT" or nothing.
ACCEPTED_TYPES = frozenset({"jwt", "at+jwt", "application/at+jwt"})
LEEWAY_SECONDS = 30
JWKS_TTL_SECONDS = 3600
REFRESH_FLOOR_SECONDS = 30
FETCH_TIMEOUT_SECONDS = 3
MAX_TOKEN_LENGTH = 16_384

clock = time.monotonic  # the cache's clock; tests move it forward instead of sleeping


class ProviderUnavailable(DomainError):
    status = 503
    code = "identity_provider_unavailable"

    def __init__(self):
        super().__init__(
            "Không kết nối được tới nhà cung cấp định danh (SSO) của tỉnh để kiểm tra mã truy cập. "
            "Vui lòng thử lại sau.",
            "The province's identity provider cannot be reached to check the access token. Try again later.",
        )


def _refused(vi: str, en: str) -> InvalidToken:
    return InvalidToken(f"Mã truy cập không được chấp nhận: {vi}.", f"The access token is not accepted: {en}.")


def authenticate(tenant, raw: str) -> Principal:
    """The principal a JWT access token of `tenant`'s provider stands for; InvalidToken otherwise."""
    provider = db.session.get(IdentityProvider, tenant.id)
    if provider is None or not provider.enabled:
        raise _refused(
            "tỉnh chưa bật đăng nhập qua nhà cung cấp định danh (SSO)",
            "this province has no enabled identity provider (SSO)",
        )
    if not provider.audience:
        raise _refused(
            "tỉnh chưa cấu hình audience cho API trong nhà cung cấp định danh",
            "this province's identity provider has no audience configured for the API",
        )
    claims = verify(provider, raw)
    return linking.principal_for_claims(provider, claims, channel="bearer")  # it commits a new link itself


def verify(provider: IdentityProvider, raw: str) -> dict:
    """The claims of `raw` once its signature, issuer, audience and times are checked."""
    unreadable = _refused("không đọc được (không phải JWT hợp lệ)", "it is not a well-formed JWT")
    if len(raw) > MAX_TOKEN_LENGTH:
        raise unreadable
    try:
        header = jws.extract_compact(raw.encode("ascii")).headers()
    except (JoseError, ValueError, TypeError, KeyError, AttributeError):
        raise unreadable from None
    # Checked before any key is fetched: a token we would refuse anyway costs no request to the provider.
    if header.get("alg") not in ALGORITHMS:
        raise _refused("thuật toán ký không được chấp nhận", "its signing algorithm is not accepted")
    typ = header.get("typ")
    if typ is not None and (not isinstance(typ, str) or typ.lower() not in ACCEPTED_TYPES):
        raise _refused("không phải mã truy cập (typ)", "it is not an access token (typ)")
    kid = header.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise unreadable

    keys = key_cache.keys_for(provider, kid)
    try:
        token = jwt.decode(raw, keys, algorithms=list(ALGORITHMS))
    except (JoseError, ValueError, TypeError, KeyError, AttributeError):
        raise _refused(
            "chữ ký không hợp lệ hoặc không do nhà cung cấp định danh của tỉnh ký",
            "its signature is not valid or not from this province's identity provider",
        ) from None
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": provider.issuer},
        aud={"essential": True, "value": provider.audience},
        exp={"essential": True},
    )
    try:
        registry.validate(token.claims)
    except ExpiredTokenError:
        raise _refused("đã hết hạn", "it has expired") from None
    except (InvalidClaimError, MissingClaimError) as exc:
        claim = getattr(exc, "claim", "")
        if claim == "aud":
            raise _refused("không dành cho API này (aud)", "it is not meant for this API (aud)") from None
        if claim == "iss":
            raise _refused("không do nhà cung cấp định danh của tỉnh cấp (iss)", "another issuer issued it") from None
        raise _refused(f"thông tin '{claim}' không hợp lệ", f"its '{claim}' claim is missing or not valid") from None
    except (JoseError, ValueError, TypeError, OverflowError):
        raise unreadable from None
    return token.claims


# ---------------------------------------------------------------- the providers' keys


@dataclass(frozen=True)
class _Snapshot:
    keys: KeySet | None
    fetched_at: float | None  # clock() of the last successful fetch
    tried_at: float | None  # clock() of the last attempt, failed or not

    def fresh(self, now: float) -> bool:
        return self.keys is not None and now - self.fetched_at < JWKS_TTL_SECONDS

    def knows(self, kid: str | None) -> bool:
        # A token without kid leaves the choice to the key set (it works when there is one key).
        return kid is None or any(key.kid == kid for key in self.keys)


class _Entry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        # Replaced whole, never changed in place, so readers need no lock.
        self.snapshot = _Snapshot(None, None, None)


class KeyCache:
    """Each provider's signing keys, shared by every request (and thread) of the process."""

    def __init__(self) -> None:
        self._entries: dict[tuple, _Entry] = {}
        self._guard = threading.Lock()

    def clear(self) -> None:
        with self._guard:
            self._entries.clear()

    def _entry(self, provider: IdentityProvider) -> _Entry:
        with self._guard:
            return self._entries.setdefault((provider.tenant_id, provider.issuer), _Entry())

    def keys_for(self, provider: IdentityProvider, kid: str | None) -> KeySet:
        entry = self._entry(provider)
        snapshot = entry.snapshot
        if snapshot.fresh(clock()) and snapshot.knows(kid):
            return snapshot.keys
        with entry.lock:  # one refresh at a time per provider; the others wait, then use its result
            snapshot = entry.snapshot
            now = clock()
            if snapshot.fresh(now) and snapshot.knows(kid):
                return snapshot.keys
            if snapshot.tried_at is None or now - snapshot.tried_at >= REFRESH_FLOOR_SECONDS:
                try:
                    entry.snapshot = _Snapshot(self._fetch(provider), now, now)
                except ProviderUnavailable:
                    entry.snapshot = _Snapshot(snapshot.keys, snapshot.fetched_at, now)
                    if snapshot.keys is None:
                        raise
                    # Keep the keys we have: tokens they signed stay good while the provider is down.
                    log.warning("keeping the cached keys of %s after a failed refresh", provider.issuer)
            if entry.snapshot.keys is None:
                raise ProviderUnavailable()  # the last attempt failed, less than the floor ago
            # Perhaps stale or without the token's kid: the signature check then refuses the token.
            return entry.snapshot.keys

    def _fetch(self, provider: IdentityProvider) -> KeySet:
        discovery = _get_json(provider.issuer + "/.well-known/openid-configuration")
        if discovery.get("issuer") != provider.issuer or not isinstance(discovery.get("jwks_uri"), str):
            log.warning("discovery document of %s names another issuer or no jwks_uri", provider.issuer)
            raise ProviderUnavailable()
        document = _get_json(discovery["jwks_uri"])
        try:
            keys = KeySet.import_key_set(document)
        except (JoseError, ValueError, TypeError, KeyError):
            log.warning("JWKS of %s is not usable", provider.issuer)
            raise ProviderUnavailable() from None
        # Only public signature keys matter here; a symmetric ("oct") key must never verify a token.
        keys.keys = [key for key in keys if key.key_type != "oct" and key.get("use") in (None, "sig")]
        return keys


def _get_json(url: str) -> dict:
    try:
        response = requests.get(url, timeout=FETCH_TIMEOUT_SECONDS, headers={"Accept": "application/json"})
        response.raise_for_status()
        body = response.json()
    except (requests.RequestException, ValueError) as exc:
        log.warning("cannot fetch %s: %s", url, type(exc).__name__)
        raise ProviderUnavailable() from None
    if not isinstance(body, dict):
        raise ProviderUnavailable()
    return body


key_cache = KeyCache()
