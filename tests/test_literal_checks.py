"""Literal checks (issue 17): placeholders, hard-coded secrets and interpolations nobody reads,
by AST over snippets written here; each signal gets its catalogue rule."""

from __future__ import annotations

import ast

from graders.classify import classify_defect
from harness.worker.toolchain_literals import check_literals

SRC = '''
ACCOUNT = "123456789012"
role_arn = f"arn:aws:iam::{ACCOUNT}:role/x"
Instance(self, "i", subnet_id="subnet-xxxx", vpc_security_group_ids=["sg-12345678"])
DbInstance(self, "d", username="admin", password="ChangeMe123!")
policy = {"Resource": "arn:aws:s3:::b/${aws:username}/*", "Escaped": "$${aws:username}"}
ref = "${aws_s3_bucket.b.arn}"
call = '${filebase64sha256("f.zip")}'
managed = "arn:aws:iam::aws:policy/ReadOnlyAccess"
real_account = "210987654321"
'''


def _checks(src: str) -> list[tuple[str, int]]:
    return [(s["check"], s["line"]) for s in check_literals(ast.parse(src), "lib/s.py")]


def test_each_kind_is_found_once_on_its_line() -> None:
    assert _checks(SRC) == [("placeholder-account", 2), ("placeholder-id", 4), ("hardcoded-secret", 5),
                            ("interpolation", 6)]


def test_what_is_not_a_placeholder_stays_quiet() -> None:
    """Terraform references and function calls, $${...}, AWS-managed ARNs, other account numbers,
    empty passwords and f-string parts are not findings."""
    quiet = ('a = "${var.region}"\nb = "$${aws:SourceIp}"\nc = "arn:aws:iam::aws:policy/x"\n'
             'd = "1234567890123"\nDb(password="")\ne = f"${{x}}"\nsg = "sg-0a1b2c3d"\n')
    assert _checks(quiet) == []
    # the digits ending a word are not an account id; as a credential the value is the secret check's
    assert _checks('Cache(auth_token="ChangeMe123456789012")\n') == [("hardcoded-secret", 1)]


def test_the_catalogue_rates_them() -> None:
    got = {s["check"]: classify_defect("static", s)[0] for s in check_literals(ast.parse(SRC), "lib/s.py")}
    assert {c: (r.id, r.severity) for c, r in got.items()} == {
        "placeholder-account": ("static.literal-placeholder-account", "High"),
        "placeholder-id": ("static.literal-placeholder-id", "High"),
        "hardcoded-secret": ("static.literal-hardcoded-secret", "Medium"),
        "interpolation": ("static.literal-interpolation", "Medium"),
    }


def test_secrets_built_in_f_strings_or_held_in_variables_are_literals_too() -> None:
    """A password whose fixed part is guessable (``f"Pass{suffix}!"``) is as hard-coded as a
    constant; so is one assigned to a credential-named variable. A secret read from elsewhere is not."""
    src = ('Db(password=f"SecurePass{suffix}!")\nmaster_password = "Sup3rSecret"\n'
           'Db(password=f"{prefix}{suffix}")\nDb(password=secret.value)\ntoken = os.environ["T"]\n')
    assert _checks(src) == [("hardcoded-secret", 1), ("hardcoded-secret", 2)]


def test_credential_names_are_matched_by_what_they_hold_not_what_they_mention() -> None:
    src = ('db_password_raw = f"app-db-{suffix}-password"\nX(api_secret="placeholder-secret")\n'
           'X(secret_name="app/db")\nX(password_length="32")\nX(http_tokens="required")\n'
           'X(creation_token=f"efs-{suffix}")\nX(token_url="https://example.com/t")\n')
    assert _checks(src) == [("hardcoded-secret", 1), ("hardcoded-secret", 2)]
