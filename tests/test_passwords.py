"""Password clients without a line per password in the workflow: one PORTAL_PASSWORDS secret."""

from __future__ import annotations

from textwrap import dedent

import pytest
from click.testing import CliRunner

from client_portal.commands.cli import main
from client_portal.publishing.passwords import PasswordsError, password, portal_passwords

from .build import SECRET

LIN = "lin-own-password-1"
TEAM = "team-shared-password-2"

PASSWORD_RECORD = dedent(
    """\
    name: Lotus Tea
    contacts:
      - name: Lin
        email: lin@lotus.example
        password_env: LIN_PASSWORD
      - name: Zhou
        email: zhou@lotus.example
    access:
      mode: password
      password_env: TEAM_PASSWORD
    """
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        ("A=one-password", {"A": "one-password"}),
        ("A=x=y\nB_2 = spaced out words \n", {"A": "x=y", "B_2": "spaced out words"}),
        ("\r\n# a comment\nA=1\r\n\nB=2", {"A": "1", "B": "2"}),
    ],
)
def test_portal_passwords_reads_name_value_lines(text, expected):
    assert portal_passwords({"PORTAL_PASSWORDS": text}) == expected


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("A=1\nhunter2-secret", 2, "no '='"),
        ("A=1\n\n9BAD=hunter2-secret", 3, "not a variable name"),
        ("my password=hunter2-secret", 1, "not a variable name"),
        ("A=", 1, "A has no password"),
        ("A=hunter2-secret\nA=hunter2-secret", 2, "A is given a second time"),
    ],
)
def test_a_malformed_line_is_named_by_number_and_never_shows_the_password(text, line, reason):
    with pytest.raises(PasswordsError) as caught:
        portal_passwords({"PORTAL_PASSWORDS": text})
    assert caught.value.line == line
    assert str(caught.value).startswith(f"PORTAL_PASSWORDS line {line}: ")
    assert reason in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_the_variable_of_that_name_comes_before_the_line_in_portal_passwords():
    environ = {"PORTAL_PASSWORDS": "A=from-the-list\nB=only-in-the-list", "A": "from-the-variable"}
    assert password("A", environ) == "from-the-variable"
    assert password("B", environ) == "only-in-the-list"
    assert password("C", environ) == ""


@pytest.fixture
def password_portal(empty_portal):
    (empty_portal / "clients" / "lotus-tea.yml").write_text(PASSWORD_RECORD, encoding="utf-8")
    return empty_portal


def build(env: dict[str, str]):
    base = {"PORTAL_SECRET": SECRET, "CI": "", "GITHUB_ACTIONS": "", "GITLAB_CI": "", "PORTAL_PASSWORDS": ""}
    return CliRunner().invoke(main, ["build", "site"], env=base | env)


def test_a_build_finds_every_password_in_portal_passwords(password_portal):
    result = build({"CI": "true", "PORTAL_PASSWORDS": f"LIN_PASSWORD={LIN}\nTEAM_PASSWORD={TEAM}\n"})
    assert result.exit_code == 0, result.output
    assert "1 client page written" in result.output


def test_the_ci_error_names_the_secret_and_where_to_set_it(password_portal):
    result = build({"CI": "true", "GITHUB_ACTIONS": "true", "PORTAL_PASSWORDS": f"TEAM_PASSWORD={TEAM}"})
    assert result.exit_code == 1
    assert (
        "lotus-tea: LIN_PASSWORD is not set: add the line LIN_PASSWORD=<password> to the PORTAL_PASSWORDS "
        "repository secret (GitHub: Settings → Secrets and variables → Actions)"
    ) in result.output
    gitlab = build({"CI": "true", "GITLAB_CI": "true", "TEAM_PASSWORD": TEAM})
    assert "add a masked CI/CD variable named LIN_PASSWORD (GitLab: Settings → CI/CD → Variables)" in gitlab.output
    assert "Traceback" not in result.output + gitlab.output


def test_a_malformed_portal_passwords_stops_the_build_without_showing_a_password(password_portal):
    result = build({"PORTAL_PASSWORDS": f"LIN_PASSWORD={LIN}\n{TEAM}"})
    assert result.exit_code == 1
    assert "PORTAL_PASSWORDS line 2: no '='" in result.output
    assert TEAM not in result.output and LIN not in result.output


def check(env: dict[str, str]):
    base = {"PORTAL_SECRET": "", "CI": "", "GITHUB_ACTIONS": "", "GITLAB_CI": "", "PORTAL_PASSWORDS": ""}
    return CliRunner().invoke(main, ["check"], env=base | env)


def test_check_lists_the_secrets_a_build_needs_and_where_each_is_found(password_portal):
    result = check({"PORTAL_SECRET": SECRET, "PORTAL_PASSWORDS": f"LIN_PASSWORD={LIN}"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index("Secrets a build needs:")
    assert lines[start + 1 : start + 4] == [
        "  PORTAL_SECRET: set",
        "  LIN_PASSWORD (lotus-tea): set, in PORTAL_PASSWORDS",
        "  TEAM_PASSWORD (lotus-tea): not set here (a local build leaves it out); for CI, add the line "
        "TEAM_PASSWORD=<password> to the PORTAL_PASSWORDS secret (GitHub: Settings → Secrets and variables → "
        "Actions; GitLab: Settings → CI/CD → Variables)",
    ]
    assert result.stdout.splitlines()[-1] == "1 record checked: 0 errors, 0 warnings"
    assert LIN not in result.output


def test_check_in_ci_fails_as_the_build_would_on_a_missing_password(password_portal):
    result = check({"CI": "true", "PORTAL_SECRET": SECRET, "TEAM_PASSWORD": TEAM})
    assert result.exit_code == 1
    assert "clients/lotus-tea.yml:5:19: error: LIN_PASSWORD is not set: add the line LIN_PASSWORD=" in result.output
    assert "  TEAM_PASSWORD (lotus-tea): set, in the environment" in result.output
    assert result.stdout.splitlines()[-1] == "1 record checked: 1 error, 0 warnings"


def test_check_reports_a_malformed_portal_passwords_by_line(password_portal):
    result = check({"PORTAL_PASSWORDS": f"\nLIN_PASSWORD {LIN}"})
    assert result.exit_code == 1
    assert "PORTAL_PASSWORDS:2:1: error: no '='" in result.output
    assert LIN not in result.output


def test_check_says_nothing_of_secrets_without_a_password_client(empty_portal):
    assert "Secrets a build needs" not in check({}).output


def test_the_audit_looks_for_the_passwords_in_portal_passwords(password_portal):
    built = build({"PORTAL_PASSWORDS": f"LIN_PASSWORD={LIN}\nTEAM_PASSWORD={TEAM}"})
    assert built.exit_code == 0, built.output
    (password_portal / "site" / "leak.txt").write_text(f"note to self: {TEAM}", encoding="utf-8")
    env = {"PORTAL_SECRET": SECRET, "CI": "", "PORTAL_PASSWORDS": f"LIN_PASSWORD={LIN}\nTEAM_PASSWORD={TEAM}"}
    result = CliRunner().invoke(main, ["audit", "site"], env=env)
    assert result.exit_code == 1
    assert "the password in TEAM_PASSWORD" in result.output


def test_check_reads_portal_passwords_only_when_a_record_needs_a_password(empty_portal):
    result = check({"PORTAL_PASSWORDS": "not a line of names"})
    assert result.exit_code == 0 and "PORTAL_PASSWORDS" not in result.output
