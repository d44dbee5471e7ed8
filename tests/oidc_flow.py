"""Drive the test OpenID Connect provider (tests/oidc/server.mjs) without a browser.

    callback = authorize(provider, "sub-1", url=authorization_url_from_the_app)
    callback = authorize(provider, "sub-1", redirect_uri, {"scope": "openid email", ...})
    tokens = obtain_tokens(provider, "sub-1", redirect_uri)            # {"access_token": ..., "id_token": ...}

authorize() signs in as `sub` on the provider's development login page, consents, and returns the
URL the provider sends the browser back to (redirect_uri?code=…&state=…, or ?error=…) without
following it. A plain module: tests import it as `from oidc_flow import ...`.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, quote, urlencode, urljoin, urlparse

import requests

TIMEOUT = 10
_PROMPT = re.compile(r'name="prompt" value="(\w+)"')


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize(
    provider,
    sub: str,
    redirect_uri: str | None = None,
    params: dict | str | None = None,
    *,
    url: str | None = None,
    session: requests.Session | None = None,
) -> str:
    """Go through the provider's sign-in and consent as `sub`; return the redirect to redirect_uri.

    Give the full authorization URL (`url=`, or a string as `params`), e.g. the Location the app
    redirected the browser to, or the query parameters as a dict (client_id and response_type
    default to the provider's client and "code"). Pass a `session` to keep the provider's cookies
    (a second authorize() then skips the login)."""
    if isinstance(params, str):
        url, params = params, None
    if url is None:
        query = {
            "client_id": provider.client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            **(params or {}),
        }
        url = provider.issuer + "/auth?" + urlencode(query)
    if redirect_uri is None:
        redirect_uri = parse_qs(urlparse(url).query)["redirect_uri"][0]
    session = session or requests.Session()
    response = session.get(url, allow_redirects=False, timeout=TIMEOUT)
    for _ in range(20):
        if response.is_redirect:
            target = urljoin(response.url, response.headers["Location"])
            if target.startswith(redirect_uri):
                return target
            response = session.get(target, allow_redirects=False, timeout=TIMEOUT)
            continue
        prompt = _PROMPT.search(response.text) if response.status_code == 200 else None
        if prompt is None:
            page = re.sub(r"<style.*?</style>", "", response.text, flags=re.S)
            raise AssertionError(
                f"unexpected answer from the provider at {response.url}: {response.status_code} {page}"
            )
        form = {"prompt": prompt.group(1)}
        if form["prompt"] == "login":
            form.update(login=sub, password="x")
        response = session.post(response.url, data=form, allow_redirects=False, timeout=TIMEOUT)
    raise AssertionError("the provider kept redirecting")


def obtain_tokens(
    provider,
    sub: str,
    redirect_uri: str = "http://localhost/callback",
    resource: str | None = None,
    scope: str = "openid email profile",
) -> dict:
    """The token response (access_token, id_token, expires_in …) for `sub`, by the code flow with PKCE.
    `resource` asks for access tokens meant for that resource server (a JWT with it as audience)."""
    verifier, challenge = pkce_pair()
    params = {
        "scope": scope,
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    if resource:
        params["resource"] = resource
    callback = authorize(provider, sub, redirect_uri, params)
    query = parse_qs(urlparse(callback).query)
    if "code" not in query:
        raise AssertionError(f"no code in {callback}")
    assert query["state"] == [params["state"]]
    form = {
        "grant_type": "authorization_code",
        "code": query["code"][0],
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    if resource:
        form["resource"] = resource
    response = requests.post(
        provider.issuer + "/token",
        data=form,
        # RFC 6749 2.3.1: client id and secret are form-encoded before they go into Basic auth.
        auth=(quote(provider.client_id, safe=""), quote(provider.client_secret, safe="")),
        timeout=TIMEOUT,
    )
    if response.status_code != 200:
        raise AssertionError(f"token request refused: {response.status_code} {response.text[:500]}")
    return response.json()
