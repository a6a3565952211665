"""The fuzz harness (fuzz/, ``make fuzz``) itself: every decoder has a target, the corpus
takes every source, and a crash, a hang and a disagreement are each reported with the input
saved (checked with targets that misbehave on purpose, FUZZ_SELFTEST=1)."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
from pathlib import Path

from fluent_ai._purepy.dialect import DIALECTS

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fuzz import corpus  # noqa: E402
from fuzz.targets import TARGETS  # noqa: E402


def fuzz(
    tmp_path: Path, targets: str, seconds: float, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FUZZ_")}
    # At least 25 examples, however long start-up took on a loaded machine.
    environment.update(
        FUZZ_TARGETS=targets,
        FUZZ_SECONDS=str(seconds),
        FUZZ_OUT=str(tmp_path),
        FUZZ_MIN_EXAMPLES="25",
    )
    return subprocess.run(
        [sys.executable, "-m", "fuzz.run"],
        check=False,
        cwd=ROOT,
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def replay(case: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fuzz.run", "--replay", str(case)],
        check=False,
        cwd=ROOT,
        env={**os.environ, "FUZZ_SELFTEST": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_every_decoder_and_dialect_has_a_target() -> None:
    expected = {"sse", "ndjson", "eventstream", "json", "toolcall"}
    expected |= {f"stream:{dialect}" for dialect in DIALECTS}
    assert expected <= set(TARGETS)
    assert set(corpus.DIALECTS) == set(DIALECTS)


def test_the_corpus_takes_every_source() -> None:
    names = {seed.name for seed in corpus.seeds()}
    for folder in (corpus.EXAMPLES, corpus.TRANSCRIPTS):
        for path in folder.iterdir():
            if path.suffix != ".py" and path.is_file():
                assert path.name in names
    kinds = corpus.summary()
    assert kinds["json"] >= 300 and kinds["eventstream"] >= 5 and kinds["sse"] >= 50
    assert set(corpus.DIALECTS) <= set(kinds), "a seed for every dialect"
    if corpus.REAL.is_dir():
        assert any(name.startswith("real/") for name in names)


def test_a_crash_is_reported_with_its_input_saved(tmp_path: Path) -> None:
    result = fuzz(tmp_path, "selftest:crash", 3, FUZZ_SELFTEST="1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "killed by SIGSEGV" in result.stdout
    saved = sorted(tmp_path.glob("crash-selftest-crash-*.case"))
    assert saved
    assert replay(saved[0]).returncode == -signal.SIGSEGV


def test_a_disagreement_is_reported_and_replayable(tmp_path: Path) -> None:
    result = fuzz(tmp_path, "selftest:disagree", 3, FUZZ_SELFTEST="1")
    assert result.returncode == 1, result.stdout + result.stderr
    saved = sorted(tmp_path.glob("finding-selftest-disagree-*.case"))
    assert len(saved) == 1
    assert "items differ (selftest)" in saved[0].read_text()
    replayed = replay(saved[0])
    assert replayed.returncode == 1
    assert "items differ (selftest)" in replayed.stdout


def test_a_hang_is_killed_and_its_input_saved(tmp_path: Path) -> None:
    result = fuzz(tmp_path, "selftest:hang", 2, FUZZ_SELFTEST="1", FUZZ_GRACE="2")
    assert result.returncode == 1
    assert "hang:" in result.stdout
    assert sorted(tmp_path.glob("hang-selftest-hang-*.case"))


def test_a_short_real_run_finds_nothing_in_the_sse_framer(tmp_path: Path) -> None:
    result = fuzz(tmp_path, "sse", 3)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 found" in result.stdout
    examples = re.search(r"^\s+sse\s+(\d+) examples", result.stdout, re.MULTILINE)
    assert examples and int(examples.group(1)) > 20, result.stdout


def test_event_stream_mutations_stay_well_framed() -> None:
    """Payload mutations are re-framed with valid lengths and CRCs, so they reach the dialect."""
    from fluent_ai import _core  # noqa: PLC0415
    from fuzz import mutate  # noqa: PLC0415

    seed = next(s for s in corpus.seeds() if s.kind == "bedrock" and "tool_use" in s.name)
    changed = 0
    for number in range(200):
        data = mutate._eventstream_json(random.Random(number), seed.data, deep=False)
        decoder = _core.EventStreamDecoder()
        assert decoder.feed(data) and decoder.finish() == []  # no EventStreamError
        changed += data != seed.data
    assert changed > 50


def test_deep_mutations_nest_a_member_of_a_valid_frame() -> None:
    from fuzz import mutate  # noqa: PLC0415

    seed = next(s for s in corpus.seeds() if s.name == "openai_chat_text.txt")
    depths = set()
    for number in range(300):
        data = mutate.mutate(random.Random(number), seed, [], deep=True)
        depths.add(max(data.count(b"[[["), data.count(b'{"a":{"a":')))
    assert max(depths) >= 100_000 // 3
    assert len(depths) >= 5
