"""Fixtures for connector tests: real platform samples from ../shared/platform-samples."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SAMPLES_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "platform-samples"


@pytest.fixture
def load_sample() -> Callable[[str, str], Any]:
    """`load_sample("woocommerce", "order.json")`: parsed JSON for .json files, raw bytes for anything else."""
    if not SAMPLES_DIR.is_dir():
        pytest.fail(
            f"Platform samples not found at {SAMPLES_DIR}; check out the shared folder next to the repository "
            "(../shared/platform-samples) before running the connector tests."
        )

    def load(platform: str, filename: str) -> Any:
        path = SAMPLES_DIR / platform / filename
        if not path.is_file():
            pytest.fail(f"Sample {path} is missing; see ../shared/platform-samples/SOURCES.md for what belongs there.")
        data = path.read_bytes()
        return json.loads(data) if path.suffix == ".json" else data

    return load
