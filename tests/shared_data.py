"""The shared reference data beside the checkout (``../shared`` or ``XIANGZHI_SHARED_DIR``).

Tests that need it skip with a clear reason where it is absent (e.g. a clone outside the workspace), so ``make test``
stays green; CI runs with it present.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("XIANGZHI_SHARED_DIR") or REPO.parent / "shared").resolve()


def shared_path(relative: str) -> Path:
    return SHARED / relative


def require_shared(relative: str, *, module: bool = False) -> Path:
    """The path of ``relative`` under the shared data, or skip (the whole module if ``module``) when it is absent."""
    path = shared_path(relative)
    if not path.exists():
        pytest.skip(f"needs the shared reference data {path} (set XIANGZHI_SHARED_DIR to its folder)",
                    allow_module_level=module)
    return path
