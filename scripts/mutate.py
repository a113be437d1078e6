"""Mutation testing of the modules that carry the product's security and promises.

Usage: python scripts/mutate.py [MODULE ...]   (default: every module in MODULES)

mutmut changes one thing at a time in a module (a ``<`` for a ``<=``, a dropped argument,
a string emptied) and runs the tests that reach it: a change no test notices is a
promise no test keeps. mutmut names a module after its path below ``src/``, and this
repository keeps the package in ``plugins/``, so each module runs in a scratch copy of
the repository under ``build/mutate/<module>/`` with the package staged as
``src/client_portal``. The settings shared by every run are ``[tool.mutmut]`` in
pyproject.toml; this script adds which module to change and which fast tests to run
(no browser, no Java, no Node), and prints each module's kill rate.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = ROOT / "build" / "mutate"
# What the tests read besides the package: the example portal and the package's own source.
COPIED = ["tests", "pyproject.toml", "mkdocs.yml", "content", "clients", "babel.cfg", "client-record.schema.json"]
# module -> the fast unit tests that check it (`-m "not browser"` is added to every run)
MODULES = {
    "crypto": ["tests/test_crypto.py", "tests/test_publish.py", "tests/test_attachments.py"],
    "addresses": ["tests/test_publish.py", "tests/test_publish_site.py"],
    "sealing": ["tests/test_publish.py", "tests/test_publish_site.py"],
    # the audit of a small site written by the test; the rest of test_audit.py builds the example portal
    "audit": [
        "tests/test_audit_small_site.py",
        "tests/test_audit.py::test_reader_text_reads_as_a_reader_does",
        "tests/test_audit.py::test_markdown_reads_as_its_rendered_text",
        "tests/test_audit.py::test_any_run_of_twelve_words_holds_a_fingerprint",
        "tests/test_audit.py::test_any_run_of_nineteen_chinese_characters_holds_a_fingerprint",
        "tests/test_audit.py::test_every_free_text_field_is_fingerprinted",
        "tests/test_audit.py::test_short_generic_texts_are_no_fingerprints",
        "tests/test_audit.py::test_fingerprints_of_every_sample_text_are_found_in_its_rendered_html",
        "tests/test_audit.py::test_archives_are_opened_by_their_content",
        "tests/test_audit.py::test_a_decompression_bomb_is_reported_not_read_to_the_end",
        "tests/test_audit.py::test_an_archive_that_cannot_be_unpacked_is_reported",
        "tests/test_audit.py::test_big_files_are_read_in_overlapping_pieces",
        "tests/test_audit.py::test_site_texts_gives_path_and_text_pairs",
        "tests/test_audit.py::test_every_kind_of_finding_has_a_test",
    ],
    "markdown_text": [
        "tests/test_markdown_text.py",
        "tests/test_hostile_input.py",
        "tests/test_markdown_differential.py",
    ],
    "markdown_linear": [
        "tests/test_markdown_text.py",
        "tests/test_hostile_input.py",
        "tests/test_markdown_differential.py",
    ],
    "whatsnew": ["tests/test_whatsnew.py", "tests/test_render.py"],
    "digest": [
        "tests/test_digest.py::test_record_changes_table",
        "tests/test_digest.py::test_a_closed_deliverable_never_moves",
        "tests/test_digest.py::test_the_letter_lists_news_in_order_and_a_paused_project_has_no_due_dates",
        "tests/test_digest.py::test_what_comes_next_is_in_date_order_from_today_and_open_work_only",
        "tests/test_digest.py::test_what_comes_next_counts_days_in_the_clients_time_zone",
        "tests/test_digest.py::test_a_pause_a_resumption_and_a_close_are_news",
        "tests/test_digest.py::test_status_changes_are_news",
        "tests/test_digest.py::test_only_a_change_is_news_of_a_cancellation_or_a_payment",
        "tests/test_digest.py::test_nothing_comes_next_on_a_closed_project",
    ],
    "insights": [
        "tests/test_insights.py",
        "tests/test_money.py",
        "tests/test_commands.py::test_status_sorts_by_urgency",
        "tests/test_commands.py::test_status_json",
    ],
}
# module -> its file below the package
PATHS = {
    "crypto": "publishing/crypto",
    "addresses": "publishing/addresses",
    "sealing": "publishing/sealing",
    "audit": "audit/audit",
    "markdown_text": "page/markdown_text",
    "markdown_linear": "page/markdown_linear",
    "whatsnew": "page/whatsnew",
    "digest": "mail/digest",
    "insights": "records/insights",
}
MUTMUT = Path(sys.executable).parent / "mutmut"


def stage(module: str) -> Path:
    """A scratch copy of the repository in which mutmut changes only ``module``."""
    folder = STAGE / module
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name in COPIED:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, folder / name)
    shutil.copytree(ROOT / "plugins", folder / "plugins")  # read as text by a test, never imported here
    shutil.copytree(ROOT / "plugins" / "client_portal", folder / "src" / "client_portal")
    settings = folder / "pyproject.toml"
    text = settings.read_text(encoding="utf-8")
    selection = ", ".join(f'"{test}"' for test in MODULES[module])
    scoped = (
        "[tool.mutmut]\n"
        f'only_mutate = ["src/client_portal/{PATHS[module]}.py"]\n'
        f"pytest_add_cli_args_test_selection = [{selection}]\n"
    )
    settings.write_text(text.replace("[tool.mutmut]\n", scoped, 1), encoding="utf-8")
    return folder


def rate(folder: Path) -> tuple[int, int, list[str]]:
    """(killed, judged, the names of the survivors) from mutmut's results."""
    shown = subprocess.run([MUTMUT, "results", "--all", "true"], cwd=folder, capture_output=True, text=True).stdout
    verdicts = re.findall(r"^\s*(\S+): (\w[\w ]*)$", shown, re.MULTILINE)
    survived = [name for name, verdict in verdicts if verdict == "survived"]
    judged = [name for name, verdict in verdicts if verdict in ("killed", "survived", "timeout")]
    return len(judged) - len(survived), len(judged), survived


def main(modules: list[str]) -> int:
    unknown = sorted(set(modules) - set(MODULES))
    if unknown:
        print(f"unknown module(s): {', '.join(unknown)}; choose from {', '.join(MODULES)}", file=sys.stderr)
        return 2
    lines = []
    for module in modules or list(MODULES):
        folder = stage(module)
        started = time.monotonic()
        subprocess.run([MUTMUT, "run", "--max-children", "2"], cwd=folder, check=False)
        killed, judged, survived = rate(folder)
        share = f"{100 * killed / judged:.0f} %" if judged else "no mutants"
        minutes = (time.monotonic() - started) / 60
        lines.append(f"{module}: {killed} of {judged} mutants killed ({share}) in {minutes:.0f} min")
        print(lines[-1])
        for name in survived:
            print(f"  survived: {name}   (mutmut show {name}, in {folder.relative_to(ROOT)})")
    print("\n".join(["", "Kill rates:", *lines]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
