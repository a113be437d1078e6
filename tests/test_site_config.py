"""mkdocs.yml read without MkDocs: its YAML tags as MkDocs reads them, or refused with their place."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest
from mkdocs.config import load_config

from client_portal.commands.migrate import migrate
from client_portal.settings import SettingsError
from client_portal.site_config import read_site_config

HEAD = "site_name: Studio\ndocs_dir: content\n"
PLUGIN = "plugins:\n  - client-portal:\n      today: 2026-11-23\n"


def portal(folder: Path, text: str) -> Path:
    """A portal folder with ``text`` as its mkdocs.yml, and the folders MkDocs wants to find."""
    for name in ("content", "clients", "overrides", "content/overrides"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    config = folder / "mkdocs.yml"
    config.write_text(text, encoding="utf-8")
    return config


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("overrides", "overrides"),
        ("!relative $config_dir/overrides", "overrides"),
        ("!relative $config_dir", "."),
        ("!relative $docs_dir/overrides", "content/overrides"),
        # alone, the folder of the page being rendered: MkDocs reads the theme as if at the top of docs_dir
        ("!relative", "content"),
        ("!!python/str overrides", "overrides"),
    ],
)
def test_custom_dir_is_the_folder_mkdocs_gives_it(tmp_path, written, expected):
    config = portal(tmp_path, f"{HEAD}theme:\n  name: material\n  custom_dir: {written}\n{PLUGIN}")
    ours = read_site_config(config).custom_dir
    assert ours == (tmp_path / expected).resolve()
    assert ours == Path(load_config(str(config)).theme.custom_dir).resolve()


@pytest.mark.parametrize("variables", [{}, {"PORTAL_URL": "https://env.example/", "BUILD_DAY": "2026-12-01"}])
def test_env_reads_the_first_variable_set_or_the_default(tmp_path, monkeypatch, variables):
    for name in ("PORTAL_URL", "OTHER_URL", "BUILD_DAY", "THEME_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    config = portal(
        tmp_path,
        f"{HEAD}site_url: !ENV [PORTAL_URL, OTHER_URL, https://default.example/]\n"
        "theme:\n  name: material\n  custom_dir: !ENV [THEME_DIR, overrides]\n"
        "plugins:\n  - client-portal:\n      today: !ENV [BUILD_DAY, 2026-11-23]\n      timezone: !ENV TIMEZONE\n",
    )
    site = read_site_config(config)
    mkdocs = load_config(str(config))
    assert site.settings.site_url == mkdocs.site_url == variables.get("PORTAL_URL", "https://default.example/")
    # a variable's value is typed as YAML types it, as MkDocs' !ENV does: a date, not a string
    assert site.settings.today == date.fromisoformat(variables.get("BUILD_DAY", "2026-11-23"))
    assert site.settings.timezone == "UTC"  # TIMEZONE unset and no default: the option is as if not written
    assert site.custom_dir == tmp_path / "overrides"


def test_env_names_the_variable_that_is_set(tmp_path, monkeypatch):
    monkeypatch.delenv("PORTAL_URL", raising=False)
    monkeypatch.setenv("OTHER_URL", "https://other.example/")
    config = portal(tmp_path, f"{HEAD}site_url: !ENV [PORTAL_URL, OTHER_URL, https://default.example/]\n{PLUGIN}")
    assert read_site_config(config).settings.site_url == "https://other.example/"


def test_tags_on_settings_client_portal_does_not_read_are_left_to_mkdocs(tmp_path):
    config = portal(
        tmp_path,
        f"{HEAD}theme:\n  name: material\n"
        "markdown_extensions:\n"
        "  - pymdownx.emoji:\n"
        "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
        "      emoji_generator: !!python/name:material.extensions.emoji.to_svg\n"
        "  - pymdownx.snippets:\n"
        "      base_path: !relative\n"
        f"{PLUGIN}",
    )
    site = read_site_config(config)
    assert site.settings.today == date(2026, 11, 23) and site.custom_dir is None


THEME = "theme:\n  name: material\n"


@pytest.mark.parametrize(
    ("written", "message"),
    [
        (
            THEME + "  custom_dir: !relative overrides\n" + PLUGIN,
            "mkdocs.yml:5:15: !relative takes no value (alone it means the folder of the page being rendered); "
            "for a folder beside this file write !relative $config_dir/overrides or just overrides",
        ),
        (
            THEME + "  custom_dir: !relative $site_dir/overrides\n" + PLUGIN,
            "mkdocs.yml:5:15: unknown prefix '$site_dir' in !relative '$site_dir/overrides'; "
            "use $config_dir (the folder of this file) or $docs_dir",
        ),
        (
            THEME + "  custom_dir: !overrides here\n" + PLUGIN,
            "mkdocs.yml:5:15: unknown YAML tag !overrides; mkdocs.yml may use !ENV, !relative and Python tags "
            "(!!python/name:...) as MkDocs reads them: remove the tag or write the value itself",
        ),
        (
            "markdown_extensions:\n  - toc:\n      slugify: !slug x\n" + PLUGIN,
            "mkdocs.yml:5:16: unknown YAML tag !slug",
        ),
        (
            THEME + "  custom_dir: !!python/name:os.getcwd\n" + PLUGIN,
            "mkdocs.yml:5:15: theme.custom_dir: !!python/name:os.getcwd makes a Python object, "
            "which client-portal does not run; write the value itself",
        ),
        (
            THEME + "  custom_dir: !ENV {THEME_DIR: overrides}\n" + PLUGIN,
            "mkdocs.yml:5:15: !ENV takes a variable's name (!ENV SITE_URL) "
            "or a list of names and a default (!ENV [SITE_URL, https://example.com/])",
        ),
        (
            PLUGIN + "      clients_dir: !relative $config_dir/clients\n",
            "mkdocs.yml:6:20: client-portal.clients_dir: MkDocs reads !relative only in theme.custom_dir and "
            "markdown_extensions; write the path itself (relative to the configuration file)",
        ),
        ("site_url: !!python/name:os.getcwd\n" + PLUGIN, "mkdocs.yml:3:11: site_url: !!python/name:os.getcwd"),
    ],
    ids=[
        "relative with a plain value",
        "relative with an unknown prefix",
        "unknown tag",
        "unknown tag on a setting not read",
        "python object as custom_dir",
        "env of a mapping",
        "relative in a plugin option",
        "python object as site_url",
    ],
)
def test_a_tag_mkdocs_refuses_or_client_portal_cannot_use_is_refused_with_its_place(
    tmp_path, monkeypatch, written, message
):
    portal(tmp_path, HEAD + written)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SettingsError) as refused:
        read_site_config(Path("mkdocs.yml"))
    assert str(refused.value).startswith(message)


def test_migrate_says_which_tagged_values_it_did_not_carry_over(tmp_path):
    portal(
        tmp_path,
        f"{HEAD}theme:\n  name: material\n  custom_dir: !relative $config_dir/overrides\n"
        "markdown_extensions:\n  - pymdownx.emoji:\n"
        "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
        f"{PLUGIN}",
    )
    done = migrate(tmp_path, "zensical")
    written = (tmp_path / "zensical.toml").read_text(encoding="utf-8")
    assert "emoji_index" not in written
    assert tomllib.loads(written)["project"]["theme"]["custom_dir"] == "overrides"  # the folder !relative named
    assert not any("!relative" in step for step in done.next_steps)
    assert any(
        step.startswith(f"{tmp_path / 'mkdocs.yml'}:8:20: !!python/name:material.extensions.emoji.twemoji is not")
        and step.endswith("write its value in zensical.toml as zensical documents it")
        for step in done.next_steps
    )
