"""Hypothesis profiles for the fuzz tests: ``default`` for `make test`, ``long`` for `make fuzz`.

Choose one with ``HYPOTHESIS_PROFILE=long``. Examples are random on every run; a failure
prints a blob that replays it exactly (``@reproduce_failure``), so nothing is stored.
"""

from __future__ import annotations

import os
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, settings

# Hypothesis keeps caches (not examples: database=None) in a folder of its own; keep it
# out of the working tree.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(Path(tempfile.gettempdir()) / "client-portal-hypothesis"))

settings.register_profile(
    "default",
    max_examples=100,
    # A hang guard, not a speed target: reading one record takes milliseconds.
    deadline=timedelta(seconds=2),
    database=None,
    print_blob=True,
    # Records of 20,000 characters and more are the point, not a slow strategy to fix.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
settings.register_profile("long", parent=settings.get_profile("default"), max_examples=2_000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def examples(share: float) -> int:
    """A share of the active profile's examples, for tests whose examples cost more."""
    return max(1, round(settings().max_examples * share))
