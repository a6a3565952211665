"""The auth hook that signs each attempt with AWS Signature Version 4 (:mod:`fluent_ai.auth`).

Credentials and region are resolved on first use (not when the client is made, so a client
without AWS settings can still be created and used for other providers) and then kept for the
client's life, as botocore keeps static credentials: explicit settings, then the environment,
then the shared files with profiles (see :mod:`fluent_ai.auth.aws_credentials`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from ..auth.aws_credentials import AwsCredentials, resolve_credentials, resolve_region
from ..auth.sigv4 import sign
from .base import HttpRequest

__all__ = ["SigV4Auth"]


class SigV4Auth:
    """Adds the fixed ``headers`` and signs every header the request carries, its path (encoded
    twice, as every AWS service but S3 wants) and its body, for ``service`` in the region."""

    __slots__ = (
        "_headers",
        "_key_id",
        "_lock",
        "_profile",
        "_region",
        "_resolved",
        "_secret",
        "_service",
        "_token",
    )

    def __init__(
        self,
        headers: Mapping[str, str],
        *,
        service: str,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        session_token: str | None = None,
        profile: str | None = None,
    ) -> None:
        self._headers = dict(headers)
        self._service = service
        self._region = region
        self._key_id = access_key_id
        self._secret = secret_access_key
        self._token = session_token
        self._profile = profile
        self._lock = threading.Lock()
        self._resolved: tuple[AwsCredentials, str] | None = None

    def resolve(self) -> tuple[AwsCredentials, str]:
        """The credentials and the signing region (``ConfigurationError`` when either is
        missing; its message names the places looked at, never a secret)."""
        resolved = self._resolved
        if resolved is None:
            with self._lock:
                if self._resolved is None:
                    credentials = resolve_credentials(
                        self._key_id, self._secret, self._token, profile=self._profile
                    )
                    region = resolve_region(self._region, profile=self._profile)
                    self._resolved = (credentials, region)
                resolved = self._resolved
        return resolved

    def sign(self, request: HttpRequest, http: Any) -> None:
        credentials, region = self.resolve()
        request.headers.update(self._headers)
        signed = sign(
            request.method,
            request.url,
            request.headers,
            request.body or b"",
            credentials=credentials,
            region=region,
            service=self._service,
        )
        request.headers.update(signed)

    async def asign(self, request: HttpRequest, http: Any) -> None:
        self.sign(request, http)  # no I/O once resolved (the first call may read ~/.aws files)

    def secrets(self) -> tuple[str, ...]:
        credentials = self.resolve()[0]
        return tuple(s for s in (credentials.secret_access_key, credentials.session_token) if s)

    def __repr__(self) -> str:
        region = self._region or "<from the AWS profile>"
        return f"SigV4Auth(service={self._service!r}, region={region!r})"
