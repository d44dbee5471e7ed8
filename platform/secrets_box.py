"""Secrets kept in the database (e.g. a province's OIDC client secret), encrypted with Fernet.

KPI_ENCRYPTION_KEYS holds one or more Fernet keys, comma separated: the first encrypts, all
decrypt, so a key can be rotated by putting the new one first. The demo derives a key from its
secret key; production must set the variable (config refuses to start otherwise).
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretsBox:
    def __init__(self) -> None:
        self._fernet: MultiFernet | None = None

    def init_app(self, app) -> None:
        settings = app.config["SETTINGS"]
        keys = [k.strip() for k in settings.encryption_keys.split(",") if k.strip()]
        if not keys:
            keys = [base64.urlsafe_b64encode(hashlib.sha256(settings.secret_key.encode()).digest()).decode()]
        self._fernet = MultiFernet([Fernet(key) for key in keys])
        app.extensions["kpi_secrets"] = self

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            raise ValueError("the secret cannot be decrypted with the configured KPI_ENCRYPTION_KEYS") from None


secrets_box = SecretsBox()
