"""External tools some tests need: skip with an install hint on a developer's machine, fail in CI."""

from __future__ import annotations

import os

import pytest


def require(missing: str | None) -> None:
    """Skip the test when ``missing`` (a reason, e.g. what to install) is set; in CI, fail instead.

    CI (the environment variable ``CI`` set, as ``.ci/run`` has it) installs every tool, so a
    missing one there is a broken set-up, not a reason to skip.
    """
    if missing is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"required tool missing in CI: {missing}")
    pytest.skip(missing)
