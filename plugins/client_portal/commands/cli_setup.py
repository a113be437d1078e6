"""Setting a portal up: ``init``, and ``migrate`` between generators."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click

from client_portal.commands.inputs import PLACEHOLDER_HOST, _shown
from client_portal.commands.portal_files import (
    CONFIG_OF,
    GENERATOR_FILES,
    HOST_FILES,
    INIT_FILES,
    PREVIEW,
    UPDATE_FILES,
    scaffold_text,
    workflow_text,
)
from client_portal.records.model import json_schema
from client_portal.settings import SettingsError
from client_portal.site_config import read_site_config


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default="Your Name", show_default=True, help="Your name, as clients see it.")
@click.option("--email", default="you@example.com", show_default=True, help="Where clients write to you.")
@click.option(
    "--host",
    type=click.Choice(["github", "gitlab"]),
    default=None,
    help="Where the portal is published  [default: the one an existing portal's workflow is for, else github]",
)
@click.option(
    "--generator",
    type=click.Choice(["mkdocs", "zensical"]),
    default=None,
    help="What builds the public site (Zensical: client-portal build adds the client pages)  "
    "[default: the one an existing portal uses, else mkdocs]",
)
@click.option(
    "--site-url", metavar="URL", help="Where the site will be published, such as https://you.github.io/portal/."
)
@click.option(
    "--timezone", "time_zone", metavar="ZONE", help="Your time zone, such as Europe/Berlin (default: this computer's)."
)
def init(
    directory: Path,
    name: str,
    email: str,
    host: str | None,
    generator: str | None,
    site_url: str | None,
    time_zone: str | None,
) -> None:
    """Create a new portal repository in DIRECTORY (or add one to an existing repository), ready to push."""
    if generator is None:  # a second init keeps the generator the portal has
        kept = [gen for gen, config in CONFIG_OF.items() if (directory / config).is_file()]
        generator = kept[0] if len(kept) == 1 else "mkdocs"
    if host is None:  # and the host its workflow is for
        kept = [name for name, (workflow, _) in HOST_FILES.items() if (directory / workflow).is_file()]
        host = kept[0] if len(kept) == 1 else "github"
    zone = _init_zone(time_zone)
    if site_url is not None and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", site_url):
        raise click.BadParameter(f"{site_url!r} is not an http(s) address", param_hint="--site-url")
    address = (site_url.rstrip("/") + "/") if site_url else f"https://{PLACEHOLDER_HOST}/portal/"
    branch = _git_repository(directory)
    workflow = HOST_FILES[host][0]
    targets = {**INIT_FILES, **GENERATOR_FILES[generator], UPDATE_FILES[host][0]: UPDATE_FILES[host][1]}
    contents = {path: scaffold_text(source) for path, source in targets.items()}
    contents[workflow] = workflow_text(host, generator)
    contents["clients/.gitkeep"] = ""
    contents["client-record.schema.json"] = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if generator != "mkdocs":
        readme = contents["README.md"].replace("mkdocs.yml", "zensical.toml")
        contents["README.md"] = re.sub(r"mkdocs serve +#", f"{PREVIEW[generator]}  #", readme, count=1)
    skipped = []
    for path, text in contents.items():
        target = directory / path
        text = (
            text.replace("<NAME>", name)
            .replace("<EMAIL>", email)
            .replace("<TIMEZONE>", zone)
            .replace("<BRANCH>", branch)
            .replace("<SITE_URL>", address)
        )
        if target.exists():
            if path == ".gitignore":
                _add_ignored(target, text)
            else:
                skipped.append(path)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    config = directory / CONFIG_OF[generator]
    if CONFIG_OF[generator] in skipped:  # say what the kept configuration says, not what init would have written
        zone = _kept_zone(config) or zone
    if workflow in skipped and host == "github":
        branch = _kept_branch(directory / workflow) or branch
    click.echo(f"Created a portal in {directory} (git branch {branch}, time zone {zone}).")
    if skipped:
        click.echo(
            f"Kept your existing {', '.join(skipped)}: not overwritten; compare with a fresh `client-portal init`"
        )
    click.echo("Next:")
    click.echo("  client-portal new CLIENT-ID --contact NAME --email EMAIL   # one record per client")
    click.echo(f"  {PREVIEW[generator]:<31}  # preview")
    click.echo("  client-portal secret             # keep it here, and store it as the PORTAL_SECRET repository secret")
    if host == "github":
        click.echo("Dependabot (.github/dependabot.yml) proposes each new release as a pull request.")
    else:
        click.echo("renovate.json: Renovate proposes each new release once the Renovate app watches this project.")


@click.command()
@click.option("--to", "target", type=click.Choice(["mkdocs", "zensical"]), required=True, help="The generator.")
@click.argument("directory", default=".", type=click.Path(file_okay=False, exists=True, path_type=Path))
def migrate(target: str, directory: Path) -> None:
    """Move the portal in DIRECTORY to another generator: its configuration, build steps and requirements."""
    from client_portal.commands.migrate import MigrationError
    from client_portal.commands.migrate import migrate as move

    try:
        done = move(directory, target)
    except MigrationError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    for path in done.written:
        click.echo(f"wrote {_shown(directory / path)}")
    for path in done.edited:
        click.echo(f"changed {_shown(directory / path)} to build with {target}")
    click.echo("Next:")
    for step in done.next_steps:
        click.echo(f"  {step}")


def _kept_zone(config: Path) -> str | None:
    """The time zone a kept configuration sets; None when it cannot be read (`check` will say why)."""
    try:
        return read_site_config(config).settings.timezone
    except SettingsError:
        return None


def _kept_branch(workflow: Path) -> str | None:
    """The branch a kept GitHub workflow publishes from (its ``push: branches: [...]``)."""
    found = re.search(r"^\s+branches:\s*\[\s*([^\],\s]+)", workflow.read_text(encoding="utf-8", errors="replace"), re.M)
    return found.group(1).strip("\"'") if found else None


def _init_zone(chosen: str | None) -> str:
    """The freelancer's IANA time zone: the one given, else this computer's, else UTC."""
    from pydantic import TypeAdapter, ValidationError

    from client_portal.values import TimeZone

    if chosen is None:
        import tzlocal

        try:
            chosen = tzlocal.get_localzone_name() or "UTC"
        except (LookupError, ValueError, OSError):  # tzlocal finds no zone, or one it cannot name
            chosen = "UTC"
        if chosen.startswith("Etc/"):
            chosen = "UTC"
    try:
        TypeAdapter(TimeZone).validate_python(chosen)
    except ValidationError:
        raise click.BadParameter(
            f"{chosen!r} is not a time zone such as Europe/Berlin", param_hint="--timezone"
        ) from None
    return chosen


def _git_repository(directory: Path) -> str:
    """The branch the workflow publishes: the current one of an existing repository, else a new one's ``main``."""
    import shutil
    import subprocess

    git = shutil.which("git")
    if git is None:
        click.echo("note: git not found; run `git init -b main` in the portal before pushing", err=True)
        return "main"
    directory.mkdir(parents=True, exist_ok=True)

    def run(*args: str) -> str:
        done = subprocess.run([git, "-C", str(directory), *args], capture_output=True, text=True, check=False)  # noqa: S603 - fixed arguments
        return done.stdout.strip() if done.returncode == 0 else ""

    if run("rev-parse", "--is-inside-work-tree") == "true":
        return run("symbolic-ref", "--short", "HEAD") or "main"
    run("init", "-q")
    run("symbolic-ref", "HEAD", "refs/heads/main")  # `git init -b main` before git 2.28
    return "main"


def _add_ignored(gitignore: Path, wanted: str) -> None:
    """Add the portal's ignore rules an existing .gitignore lacks (the secret, drafts), keeping the rest."""
    have = gitignore.read_text(encoding="utf-8")
    present = {line.strip() for line in have.splitlines()}
    missing = [line for line in wanted.splitlines() if line.strip() and line.strip() not in present]
    rules = [line for line in missing if not line.startswith("#")]
    if rules:
        separator = "" if have.endswith("\n") or not have else "\n"
        gitignore.write_text(have + separator + "\n".join(["# client-portal", *rules]) + "\n", encoding="utf-8")
        click.echo(f"Added to your .gitignore: {', '.join(rules)}")
