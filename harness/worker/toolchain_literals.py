"""Literals nobody reads until deploy day: placeholder ids and account numbers, hard-coded
passwords and secrets, and ``${...}`` that Terraform would try to interpolate.

Pure functions over a parsed module (stdlib only: the toolchain worker's static stage imports this
file as a sibling, like ``tapgrade_stages``). Each signal names the check, the file and line; the
catalogue (``static.literal-*`` rules) decides the severities.
"""

from __future__ import annotations

import ast
import re

# The documentation account id and its look-alikes, as a whole 12-digit number (not the tail of a
# word: "ChangeMe123456789012" is a password, which the credential check judges).
PLACEHOLDER_ACCOUNT = re.compile(r"(?<![0-9A-Za-z])(123456789012|111111111111|000000000000|999999999999)(?![0-9A-Za-z])")
# Resource ids no AWS account has: vpc-placeholder, subnet-xxxx, sg-12345678, ami-0123456789abcdef0.
PLACEHOLDER_ID = re.compile(
    r"\b(?:vpc|subnet|sg|ami|igw|rtb|eni|vol|snap|nat|acl|pcx|tgw|vpce|i|lt|key)-"
    r"(?:placeholder\w*|x{3,}\w*|your\w*|example\w*|replace\w*|12345678\w*|0123456789abcdef0|0+|dummy\w*)\b", re.I)
# Names of arguments, keys or variables that hold a credential (``master_password``, ``db_password_raw``),
# but not ones that name, locate or describe one (``secret_name``, ``password_length``, ``token_url``),
# nor the idempotency and IMDS settings that merely say token (``creation_token``, ``http_tokens``).
SECRET_NAME = re.compile(r"(?i)^(?!.*(?:_|^)(?:name|names|arn|id|ids|length|version|path|url|uri|type|rotation|policy|"
                         r"prefix|description|count|key_id|header|param\w*|ssm\w*|kms\w*|manager|field|env|var|tokens)$|creation_token$)"
                         r".*(?:password|passwd|secret|token|api_key|access_key|private_key)")
WEAK_SECRET = re.compile(r"(?i)change.?me|passw(?:or)?d\d*!?$|p@ss|admin123|secret123|letmein|^temp\w*\d+!?$")
# ${...} that Terraform would interpolate but cannot: IAM policy variables (${aws:username}),
# CloudFormation pseudo parameters (${AWS::Region}), bare names left from shell, JavaScript or
# Python-format templates (${amount}). $${...} is the escape; Terraform references
# (${aws_s3_bucket.b.arn}, ${var.x}) and function calls (${filebase64sha256("f.zip")}) are left alone.
INTERPOLATION = re.compile(r"(?<!\$)\$\{\s*(?:[\w-]*:[^}]*|[A-Za-z_]\w*)\s*\}")


def _signal(check: str, rel: str, node: ast.AST, message: str, value: str) -> dict:
    return {"kind": "static-literal", "check": check, "file": rel, "line": getattr(node, "lineno", 0),
            "message": message, "value": value[:80], "defect": f"literal:{check}:{rel}:{getattr(node, 'lineno', 0)}"}


def _strings(tree: ast.AST) -> list[tuple[ast.Constant, str, bool]]:
    """Every string constant, its text, and whether it is a literal part of an f-string."""
    in_fstring = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    return [(n, n.value, id(n) in in_fstring) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _literal_text(value: ast.expr) -> str | None:
    """The text a value fixes in the code: a string constant, or an f-string's literal parts when
    they make up a guessable secret on their own (``f"Pass{suffix}!"``: 6+ characters)."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    if isinstance(value, ast.JoinedStr):
        fixed = "".join(v.value for v in value.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        return fixed if len(fixed.strip()) >= 6 else None
    return None


def _credential_values(tree: ast.AST) -> list[tuple[str, ast.expr, str]]:
    """(name, value, text) for literals given to a credential-named keyword, dict key or variable."""
    out: list[tuple[str, ast.expr]] = []
    for n in ast.walk(tree):
        if isinstance(n, ast.keyword) and n.arg:
            out.append((n.arg, n.value))
        elif isinstance(n, ast.Dict):
            out += [(k.value, v) for k, v in zip(n.keys, n.values) if isinstance(k, ast.Constant) and isinstance(k.value, str)]
        elif isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], (ast.Name, ast.Attribute)):
            target = n.targets[0]
            out.append((target.id if isinstance(target, ast.Name) else target.attr, n.value))
    return [(name, v, text) for name, v in out
            if SECRET_NAME.search(name) and (text := _literal_text(v)) is not None and text.strip()]


def check_literals(tree: ast.AST, rel: str) -> list[dict]:
    """Every literal problem in one module, one signal per check and line."""
    out: list[dict] = []
    for node, text, fpart in _strings(tree):
        if m := PLACEHOLDER_ACCOUNT.search(text):
            out.append(_signal("placeholder-account", rel, node, f"hard-coded placeholder account id {m.group(1)}", text))
        if m := PLACEHOLDER_ID.search(text):
            out.append(_signal("placeholder-id", rel, node, f"placeholder resource id {m.group(0)!r}", text))
        if (m := INTERPOLATION.search(text)) and not fpart:
            out.append(_signal("interpolation", rel, node, f"{m.group(0)!r} in a string literal: Terraform interpolates "
                                                          "it (write $${...} for a literal)", text))
    for name, value, text in _credential_values(tree):
        weak = " (a well-known weak value)" if WEAK_SECRET.search(text) else ""
        out.append(_signal("hardcoded-secret", rel, value, f"{name} is a literal in the code{weak}", "***"))
    seen: set[tuple[str, int]] = set()
    unique = []
    for s in sorted(out, key=lambda s: (s["line"], s["check"])):
        if (s["check"], s["line"]) not in seen:
            seen.add((s["check"], s["line"]))
            unique.append(s)
    return unique
