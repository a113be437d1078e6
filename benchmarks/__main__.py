"""Benchmarks: `make bench`. Prints figures for the README; asserts nothing about time.

1. `client-portal check` on a 2 MB record.
2. `mkdocs build` of 1,000 clients, against plain MkDocs + Material building the
   same content as 1,000 hand-written Markdown pages.
3. `client-portal audit` of the example portal and of the 1,000-client site.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SAMPLE = ROOT / "clients" / "acme-bakery.yml"
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "1000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
# The password samples get their password, so their pages cost the real PBKDF2 work.
ENV = os.environ | {
    "PORTAL_SECRET": "bench-secret-0123456789abcdef0123456789",
    "LOTUS_TEA_PORTAL_PASSWORD": "bench-password-for-the-tea-shop",
    "NO_MKDOCS_2_WARNING": "1",
}


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Best wall time of RUNS runs, and the peak memory of the process in MiB."""
    best, peak = float("inf"), 0.0
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, env=ENV, check=True, capture_output=True)
        best = min(best, time.perf_counter() - started)
        peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    return best, peak


def audited(folder: Path) -> tuple[float, float, str]:
    """Best wall time of RUNS audits of the site built in ``folder``, its peak memory in MiB, and its summary."""
    best, peak, summary = float("inf"), 0.0, ""
    for _ in range(RUNS):
        started = time.perf_counter()
        command = [str(BIN / "client-portal"), "audit", "site"]
        process = subprocess.Popen(command, cwd=folder, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert process.stdout is not None
        summary = process.stdout.read().decode().strip().rsplit("\n", 1)[-1]
        # this child's own peak: RUSAGE_CHILDREN would report the larger build before it
        _, _, usage = os.wait4(process.pid, 0)
        best = min(best, time.perf_counter() - started)
        peak = max(peak, usage.ru_maxrss / 1024)
    return best, peak, summary


def big_record(folder: Path) -> Path:
    """A valid record of about 2 MB: the sample with thousands of deliverables and updates."""
    data = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    template = {"status": "in_progress", "due": "2026-12-01", "progress": 50, "notes": "x" * 200}
    data["deliverables"] = [dict(template, id=f"d-{n}", title=f"Deliverable {n}") for n in range(5000)]
    data["updates"] = [{"date": "2026-11-01", "text": f"Update {n}: " + "y" * 150} for n in range(2500)]
    path = folder / "clients" / "big.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def portal(folder: Path, clients: int, *, with_passwords: bool = True) -> Path:
    """A portal with ``clients`` records, copies of the samples under new ids."""
    folder.mkdir()
    shutil.copy(ROOT / "mkdocs.yml", folder / "mkdocs.yml")
    shutil.copytree(ROOT / "content", folder / "content")
    # the samples' logos too: a record whose logo file is missing does not build
    shutil.copytree(ROOT / "clients" / "logos", folder / "clients" / "logos")
    samples = [
        path
        for path in sorted((ROOT / "clients").glob("*.yml"))
        if with_passwords or "mode: password" not in path.read_text(encoding="utf-8")
    ]
    for n in range(clients):
        source = samples[n % len(samples)]
        (folder / "clients" / f"{source.stem}-{n}.yml").write_bytes(source.read_bytes())
    return folder


def plain_site(folder: Path, clients: int) -> Path:
    """The same content as hand-written Markdown pages, built by plain MkDocs + Material."""
    folder.mkdir()
    (folder / "docs").mkdir()
    (folder / "mkdocs.yml").write_text(
        "site_name: Plain\ntheme:\n  name: material\nplugins:\n  - search\n", encoding="utf-8"
    )
    samples = sorted((ROOT / "clients").glob("*.yml"))
    for n in range(clients):
        data = yaml.safe_load(samples[n % len(samples)].read_text(encoding="utf-8"))
        lines = [f"# {data['name']}", "", data.get("greeting", ""), "", "## Deliverables", ""]
        for d in data.get("deliverables", []):
            due = d.get("due", "")
            lines += [f"### {d['title']}", "", f"**{d['status']}** · due {due}", "", d.get("notes", ""), ""]
        lines += ["## Schedule", ""] + [f"- {s['date']}: {s['title']}" for s in data.get("schedule", [])]
        ideas = data.get("suggestions", [])
        lines += ["", "## Ideas", ""] + [f"### {s['title']}\n\n{s.get('body', '')}" for s in ideas]
        lines += ["", "## Updates", ""] + [f"- {u['date']}: {u['text']}" for u in data.get("updates", [])]
        (folder / "docs" / f"client-{n}.md").write_text("\n".join(map(str, lines)), encoding="utf-8")
    (folder / "docs" / "index.md").write_text("# Home\n", encoding="utf-8")
    return folder


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        example = portal(work / "example", 0)
        for record in (ROOT / "clients").glob("*.yml"):
            shutil.copy(record, example / "clients")
        subprocess.run([str(BIN / "mkdocs"), "build", "-q"], cwd=example, env=ENV, check=True, capture_output=True)
        seconds, memory, summary = audited(example)
        print(f"audit of the example portal: {seconds:.2f} s, peak {memory:.0f} MiB ({summary})")

        checked = portal(work / "check", 0)
        record = big_record(checked)
        size = record.stat().st_size / 1e6
        seconds, memory = timed([str(BIN / "client-portal"), "check"], checked)
        print(f"check, one {size:.1f} MB record: {seconds:.2f} s, peak {memory:.0f} MiB")

        plain = plain_site(work / "plain", CLIENTS)
        plain_seconds, plain_memory = timed([str(BIN / "mkdocs"), "build", "-q"], plain)
        print(f"plain MkDocs + Material, {CLIENTS} Markdown pages: {plain_seconds:.1f} s, peak {plain_memory:.0f} MiB")
        # Password pages cost a deliberate ~0.1 s each (PBKDF2, 600,000 iterations); the
        # first figure is link and unlisted pages only, the second the samples' mix.
        for label, with_passwords in (("link and unlisted", False), ("sample mix, 1 in 5 password", True)):
            ours = portal(work / f"ours-{with_passwords}", CLIENTS, with_passwords=with_passwords)
            seconds, memory = timed([str(BIN / "mkdocs"), "build", "-q"], ours)
            ratio = seconds / plain_seconds
            print(f"build, {CLIENTS} clients ({label}): {seconds:.1f} s, peak {memory:.0f} MiB, ratio {ratio:.2f}")
        seconds, memory, summary = audited(ours)
        print(f"audit of {CLIENTS} clients: {seconds:.1f} s, peak {memory:.0f} MiB ({summary})")


if __name__ == "__main__":
    main()
