"""The Python examples of docs/telemetry.md run as written (one process, in order)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "telemetry.md"


def test_examples_run(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert len(blocks) >= 5
    script = tmp_path / "examples.py"
    script.write_text("\n".join(blocks))
    env = {k: v for k, v in os.environ.items() if k != "FLUENT_AI_LOG"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "chat gpt-4o SpanKind.CLIENT" in done.stdout
    assert "'gen_ai.response.id': 'chatcmpl-123'" in done.stdout
    assert '[{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]' in done.stdout
    assert "DEBUG   fluent_ai.client: chat openai/gpt-4o started" in done.stdout
