"""Links in the site folder to the records, the secret or the cache: `build` and MkDocs refuse them.

GitHub Pages' upload (tar --dereference), rsync -L and most uploaders publish what a link
points to, and MkDocs copies what a link in docs_dir points to.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from client_portal.publishing.errors import BuildError
from client_portal.publishing.site_folder import refuse_links_to_private
from client_portal.settings import PortalSettings

from .build import SECRET, build_site
from .test_build import copy_portal
from .test_generator_free import cli


@pytest.fixture
def portal(tmp_path) -> Path:
    """A copy of the example portal; its folder."""
    return copy_portal(tmp_path / "portal").parent


@pytest.mark.parametrize(
    ("link", "target", "where"),
    [
        ("records", "clients", "is clients"),
        ("acme", "clients/acme-bakery.yml", "is inside clients"),
        ("everything", ".", "holds clients"),
        ("key", ".portal-secret", "is .portal-secret"),
    ],
)
def test_build_refuses_a_site_with_a_link_to_the_records_the_secret_or_the_cache(portal, link, target, where):
    (portal / ".portal-secret").write_text("x", encoding="utf-8")
    (portal / "out" / "deep").mkdir(parents=True)
    (portal / "out" / "deep" / link).symlink_to(portal / target)
    result = cli("build", "out", cwd=portal)
    assert result.returncode == 1
    shown = (portal / target).resolve()
    assert f"out/deep/{link} is a link to {shown}, which {where}: uploaders and generators" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (portal / "out" / "p").exists()


def test_a_link_to_the_cache_is_refused_and_one_to_public_pages_is_not(portal):
    settings = PortalSettings(root=portal, clients_dir=portal / "clients")
    site = portal / "out"
    site.mkdir()
    (portal / "content" / "about").mkdir(exist_ok=True)
    (site / "about").symlink_to(portal / "content" / "about")
    refuse_links_to_private(site, settings)  # a public folder: no error
    (site / "cached").symlink_to(portal / ".cache" / "client-portal" / "files")  # the cache folder, not made yet
    with pytest.raises(BuildError, match=r"cached is a link to .*, which is \.cache/client-portal/files: "):
        refuse_links_to_private(site, settings)


def test_mkdocs_refuses_a_link_in_the_docs_folder_to_the_records(portal, monkeypatch, caplog):
    from mkdocs.exceptions import Abort

    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    monkeypatch.delenv("CI", raising=False)
    (portal / "content" / "records").symlink_to(portal / "clients", target_is_directory=True)
    with pytest.raises(Abort):
        build_site(portal / "mkdocs.yml", portal / "site")
    assert f"content/records is a link to {(portal / 'clients').resolve()}, which is clients" in caplog.text
    assert not (portal / "site" / "records").exists()
