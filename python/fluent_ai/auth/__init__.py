"""Request authentication written here, with no cloud SDK at run time: AWS Signature Version 4
(:mod:`.sigv4`) and AWS credentials/region resolution (:mod:`.aws_credentials`)."""

from __future__ import annotations

from .aws_credentials import AwsCredentials, profile_name, resolve_credentials, resolve_region
from .sigv4 import SigV4Result, sign, sign_details, sign_request

__all__ = [
    "AwsCredentials",
    "SigV4Result",
    "profile_name",
    "resolve_credentials",
    "resolve_region",
    "sign",
    "sign_details",
    "sign_request",
]
