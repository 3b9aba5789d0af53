"""Optional login for team deployments, through dash-auth.

Basic auth when GLIMPSE_USERS ("alice:secret,bob:pw") or GLIMPSE_USERS_FILE (one
"user:password" a line; the password may be a werkzeug hash from
`werkzeug.security.generate_password_hash`) is set; OpenID Connect through dash-auth's
OIDCAuth (Authlib) when GLIMPSE_OIDC_ISSUER is set. dashboard/security.py asks `check()`
on every request that is not public and answers with `challenge()` when it fails; the
dash-auth classes' own request hooks are not installed (theirs parses callback bodies of
anonymous clients and answers 500 to a malformed Authorization header).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from pathlib import Path

import dash_auth
import flask
from werkzeug.security import check_password_hash

# werkzeug's generate_password_hash output: "<method>$<salt>$<hex digest>"
HASH = re.compile(r"^(scrypt|pbkdf2)(:[\w.:-]*)?\$[^$]+\$[0-9a-f]+$")
REALM = "Glimpse"


def parse_users(env_value: str | None = None, file_text: str | None = None, source: str = "GLIMPSE_USERS_FILE"):
    """{user: password or werkzeug hash} from "a:x,b:y" and/or a file of "user:password" lines
    (blank lines and lines starting with # are skipped). A malformed entry raises ValueError."""
    users = {}
    entries = [(f"GLIMPSE_USERS entry {i}", e) for i, e in enumerate((env_value or "").split(","), 1)]
    entries += [(f"{source} line {i}", e) for i, e in enumerate((file_text or "").splitlines(), 1)]
    for where, entry in entries:
        entry = entry.strip()
        if not entry or entry.startswith("#"):
            continue
        name, sep, secret = entry.partition(":")
        if not sep or not name.strip() or not secret:
            raise ValueError(f"{where} is not 'user:password'")
        users[name.strip()] = secret
    return users


def read_users(env) -> dict:
    path = env.get("GLIMPSE_USERS_FILE")
    try:
        text = Path(path).read_text(encoding="utf-8") if path else None
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"GLIMPSE_USERS_FILE={path} cannot be read: {e}") from None
    return parse_users(env.get("GLIMPSE_USERS"), text, source=path or "GLIMPSE_USERS_FILE")


def password_matches(stored: str, given: str) -> bool:
    if HASH.match(stored):
        return check_password_hash(stored, given)
    return hmac.compare_digest(stored.encode("utf-8"), given.encode("utf-8"))


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(user, password) of an 'Authorization: Basic …' header; None for anything else."""
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def is_page_request(path: str) -> bool:
    """A page the browser navigates to (not a callback, a layout or a static file)."""
    return not path.startswith(("/_dash-", "/_reload-hash", "/assets/", "/_favicon"))


class BasicLogin(dash_auth.BasicAuth):
    """dash-auth's BasicAuth with constant-time checks, werkzeug hashes, and a cache of
    verified credentials (a hash check takes ~0.1-0.5 s and every request carries them)."""

    def __init__(self, app, users: dict):
        self._checked: dict[str, str] = {}
        super().__init__(app, auth_func=self._verify)
        self.users = users

    def _protect(self):   # security.py's request gate calls check()
        pass

    def _verify(self, user: str, password: str) -> bool:
        stored = self.users.get(user)
        return stored is not None and password_matches(stored, password)

    def user_from(self, header: str | None) -> str | None:
        creds = basic_credentials(header)
        if creds is None:
            return None
        key = hashlib.sha256(header.encode("utf-8")).hexdigest()
        if key not in self._checked:
            if not self._verify(*creds):
                return None
            if len(self._checked) > 256:
                self._checked.clear()
            self._checked[key] = creds[0]
        return self._checked[key]

    def check(self) -> tuple[bool, str | None]:
        user = self.user_from(flask.request.headers.get("Authorization"))
        return user is not None, user

    def is_authorized(self) -> bool:
        return self.check()[0]

    def challenge(self):
        return flask.Response("Login required.\n", 401, mimetype="text/plain",
                              headers={"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'})

    login_request = challenge


def oidc_login_class():
    try:
        from dash_auth import OIDCAuth
    except ImportError as e:   # dash_auth hides OIDCAuth when Authlib is missing
        raise RuntimeError("GLIMPSE_OIDC_ISSUER needs Authlib: pip install 'dash-auth[oidc]'") from e

    class OIDCLogin(OIDCAuth):
        """dash-auth's OIDCAuth; anonymous pages are sent to the identity provider, anonymous
        callbacks and files get 401 (a redirect is no use to a fetch)."""

        def _protect(self):
            pass

        def check(self) -> tuple[bool, str | None]:
            user = flask.session.get("user")
            if isinstance(user, dict):
                return True, str(user.get("email") or user.get("preferred_username") or user.get("sub"))
            return bool(OIDCAuth.is_authorized(self)), None    # the login/callback/logout routes

        def challenge(self):
            if flask.request.method == "GET" and is_page_request(flask.request.path):
                return self.login_request()
            return flask.Response("Sign-in required: reload the page to sign in.\n", 401, mimetype="text/plain")

    return OIDCLogin


def oidc_login(app, settings):
    login = oidc_login_class()(app, secret_key=settings.secret_key, force_https_callback=settings.https,
                               secure_session=settings.https)
    login.register_provider("oidc", client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret,
                            server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
                            client_kwargs={"scope": "openid email profile"})
    return login


def build(app, settings):
    """The login object for `settings`, or None when login is off."""
    if settings.oidc_issuer:
        return oidc_login(app, settings)
    if settings.users:
        return BasicLogin(app, settings.users)
    return None
