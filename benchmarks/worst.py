"""The worst record within the limits: how long its `mkdocs build` takes (`python -m benchmarks.worst`).

Every list at its longest, every title at its longest, 200 contacts, and the whole Markdown
budget spent on the Markdown that costs the most (one record per kind of Markdown, the
slowest reported). Compared with a portal of one ordinary client, so MkDocs' own start is
told apart from the record's cost. Wall time and CPU time (the build's own process), best
of ROUNDS cold processes; CPU time says more on a busy machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .portals import WORST_MARKDOWN, portal, worst_portal

BIN = Path(sys.executable).parent
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
ENV = os.environ | {"PORTAL_SECRET": "nHZI1nGNaJ7jB_iqqoS-ocQiJikDV7nMxgSpfsCklN8", "NO_MKDOCS_2_WARNING": "1"}


def build_times(folder: Path) -> tuple[float, float]:
    """Best wall and CPU seconds of ROUNDS cold `mkdocs build` processes in ``folder``."""
    walls, cpus = [], []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(BIN / "mkdocs"), "build", "-q"], cwd=folder, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        _, status, usage = os.wait4(process.pid, 0)
        walls.append(time.perf_counter() - started)
        cpus.append(usage.ru_utime + usage.ru_stime)
        if status:
            assert process.stderr is not None
            raise SystemExit(f"mkdocs build failed in {folder}:\n{process.stderr.read().decode()}")
    return min(walls), min(cpus)


def worst_record(work: Path) -> None:
    """Print the build time of the slowest record within the limits, and of one ordinary client."""
    wall, cpu = build_times(portal(work / "one-client", 1))
    print(f"mkdocs build, one ordinary client: {wall:.2f} s ({cpu:.2f} s CPU)")
    found = {
        name: build_times(worst_portal(work / f"worst-{number}", pattern))
        for number, (name, pattern) in enumerate(WORST_MARKDOWN.items())
    }
    name, (worst_wall, worst_cpu) = max(found.items(), key=lambda item: item[1][1])
    print(
        f"mkdocs build, the worst record within the limits ({name}): {worst_wall:.2f} s ({worst_cpu:.2f} s CPU); "
        f"the record's own: {worst_wall - wall:.2f} s ({worst_cpu - cpu:.2f} s CPU)"
    )
    for other, (other_wall, other_cpu) in found.items():
        print(f"  {other}: {other_wall:.2f} s ({other_cpu:.2f} s CPU)")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as temp:
        worst_record(Path(temp))
