"""The ``client-portal`` command: a thin layer over the functions the plugin uses.

Building, encrypting and auditing are imported inside the commands that use them,
so `check` (run on every commit) starts in a fraction of the time. Each group of
commands has a module of its own: records (`cli_records`), letters and replies
(`cli_letters`), links (`cli_links`), the site (`cli_site`) and setting a portal up (`cli_setup`).
"""

from __future__ import annotations

import click

from client_portal import __version__
from client_portal.commands import cli_letters, cli_links, cli_records, cli_setup, cli_site
from client_portal.commands.hours import hours


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="client-portal")
def main() -> None:
    """Private status pages for a freelancer's clients, built with MkDocs."""


for command in (
    cli_records.check,
    cli_records.schema,
    cli_records.new,
    cli_links.links,
    cli_letters.digest,
    cli_site.audit,
    cli_site.build,
    cli_site.serve,
    cli_site.secret,
    cli_letters.inbox,
    cli_records.activate,
    cli_records.status,
    cli_setup.init,
    cli_setup.migrate,
    hours,
):
    main.add_command(command)
