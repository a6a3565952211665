"""Record provider exchanges to a cassette, and replay them without network or keys.

    client = fluent_ai.Client(record="tests/cassettes/weather")   # talks to the provider
    client = fluent_ai.Client(replay="tests/cassettes/weather")   # answers from the files

Both work as httpx transports (:class:`RecordingTransport`, :class:`ReplayTransport` and
their async twins), so a replayed response goes through the same content decoding, stream
decoders, error mapping and retries as a live one. A cassette is a directory of JSON files,
one per exchange (see :class:`Cassette` for the format and the match rule); credentials are
removed before anything is written. ``docs/record-replay.md`` has the whole story; the pytest
plugin is :mod:`fluent_ai.testing`.
"""

from __future__ import annotations

from ..errors import CassetteError, UnrecordedRequestError
from ._cassette import Cassette, Exchange, match_key
from ._redact import REDACTED
from ._transport import (
    AsyncRecordingTransport,
    AsyncReplayTransport,
    RecordingTransport,
    ReplayTransport,
)

__all__ = [
    "REDACTED",
    "AsyncRecordingTransport",
    "AsyncReplayTransport",
    "Cassette",
    "CassetteError",
    "Exchange",
    "RecordingTransport",
    "ReplayTransport",
    "UnrecordedRequestError",
    "match_key",
]
