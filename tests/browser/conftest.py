"""Browser-test plumbing: numbered full-page screenshots in artifacts/browser/ (SMTP lives in tests/smtp.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_ROOT / "artifacts" / "browser"


# --- screenshots -------------------------------------------------------------------------------------------------


@pytest.fixture
def screenshot_dir() -> Path:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR


@pytest.fixture
def shot(screenshot_dir: Path, request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """shot(page, "name") saves artifacts/browser/<test>-NN-name.png, a full-page screenshot, NN counting up."""
    prefix = request.node.originalname.removeprefix("test_").replace("_", "-")
    for stale in screenshot_dir.glob(f"{prefix}-[0-9][0-9]-*.png"):  # the previous run's pictures of this test
        stale.unlink()
    counter = 0

    def _shot(page: Any, name: str) -> Path:
        nonlocal counter
        counter += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        path = screenshot_dir / f"{prefix}-{counter:02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot
