"""Provider authentication written here, with no cloud SDK at run time: Google service-account
OAuth2 (:mod:`.google`), AWS Signature Version 4 (:mod:`.sigv4`) and AWS credentials and region
resolution (:mod:`.aws_credentials`)."""

from __future__ import annotations

from .aws_credentials import AwsCredentials, profile_name, resolve_credentials, resolve_region
from .sigv4 import SigV4Headers, sign, sign_request

__all__ = [
    "AwsCredentials",
    "SigV4Headers",
    "profile_name",
    "resolve_credentials",
    "resolve_region",
    "sign",
    "sign_request",
]
