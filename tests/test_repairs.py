"""Mechanical repairs and finding merges (pure: text in, text out; nothing is executed)."""

from __future__ import annotations

import ast

from graders.repairs import accept_contract, dict_to_struct, rename_import
from harness.findings import merge_findings
from harness.records import Finding


def test_rename_import_touches_only_the_exact_name() -> None:
    src = ("from m import S3BucketReplicationConfiguration, S3BucketReplicationConfigurationRule\n"
           "S3BucketReplicationConfiguration(rule=[S3BucketReplicationConfigurationRule()])\n")
    sig = {"missing_name": "S3BucketReplicationConfiguration", "suggestions": ["S3BucketReplicationConfigurationA"],
           "file": "lib/s.py"}
    new = rename_import([sig], {"lib/s.py": src}).files["lib/s.py"]
    assert new.count("S3BucketReplicationConfigurationA") == 2
    assert new.count("S3BucketReplicationConfigurationRule") == 2


def _init_params(src: str) -> ast.arguments:
    cls = next(n for n in ast.parse(src).body if isinstance(n, ast.ClassDef))
    return next(n for n in cls.body if isinstance(n, ast.FunctionDef)).args


def test_accept_contract_adds_kwargs_and_defaults_keeping_lines() -> None:
    src = ("class TapStack(TerraformStack):\n"
           "    def __init__(self, scope: Construct, ns: str, environment_suffix: str, config: dict,\n"
           "                 *, flag: bool, region: str = 'x'):\n"
           "        super().__init__(scope, ns)\n")
    rep = accept_contract([{"kind": "static-contract", "file": "lib/tap_stack.py",
                            "call_keywords": ["environment_suffix", "state_bucket"]}], {"lib/tap_stack.py": src})
    new = rep.files["lib/tap_stack.py"]
    args = _init_params(new)
    assert args.kwarg is not None and args.kwarg.arg == "kwargs"
    assert len(args.defaults) == 1  # config gained a default
    assert [d is not None for d in args.kw_defaults] == [True, True]  # flag gained one
    assert new.count("\n") == src.count("\n")


def test_accept_contract_leaves_a_kwargs_signature_alone_when_nothing_is_missing() -> None:
    src = "class TapStack:\n    def __init__(self, scope, ns, **kw):\n        pass\n"
    assert accept_contract([{"kind": "static-contract", "file": "a.py", "call_keywords": []}], {"a.py": src}) is None


def test_dict_to_struct_wraps_each_dict_and_imports_at_the_end() -> None:
    src = ("from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable\n"
           "DynamodbTable(self, 't', global_secondary_index=[{\n"
           "    'name': 'a', 'hash_key': 'k'}, {'name': 'b', 'hash_key': 'k'}])\n")
    tree = ast.parse(src)
    dicts = [n for n in ast.walk(tree) if isinstance(n, ast.Dict)]
    sigs = [{"kind": "static-struct-dict", "file": "lib/t.py", "line": 2, "struct": "DynamodbTableGlobalSecondaryIndex",
             "struct_module": "cdktf_cdktf_provider_aws.dynamodb_table", "dict_line": d.lineno,
             "dict_col": d.col_offset, "dict_end_line": d.end_lineno, "dict_end_col": d.end_col_offset} for d in dicts]
    new = dict_to_struct(sigs, {"lib/t.py": src}).files["lib/t.py"]
    ast.parse(new)
    assert new.count("DynamodbTableGlobalSecondaryIndex(**{") == 2
    lines = new.splitlines()
    assert lines[:3] != src.splitlines()[:3] and len(lines) == 4
    assert lines[-1].startswith("from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTableGlobalSecondaryIndex")


def _f(stage: str, defect: str | None, rnd: int = 0, deps: list[str] | None = None) -> Finding:
    return Finding(stage, f"{stage}.rule", "Critical", "t", "m", defect=defect, sources=[stage], round=rnd,
                   depends_on=deps or [], evidence={"stage": stage})


def test_static_and_execution_evidence_merge_into_one_finding() -> None:
    merged = merge_findings([_f("static", "contract"), _f("static", "import:x"), _f("import", "import:x"),
                             _f("instantiate", "contract", 1, ["R1"]), _f("lint", None), _f("lint", None)])
    assert [m.stage for m in merged] == ["instantiate", "import", "lint", "lint"]
    contract = merged[0]
    assert contract.sources == ["static", "instantiate"] and contract.depends_on == []
    assert contract.evidence == {"static": [{"stage": "static"}], "exec": [{"stage": "instantiate"}]}


def test_execution_only_finding_after_a_repair_keeps_its_dependency() -> None:
    merged = merge_findings([_f("instantiate", "struct:a:1", 2, ["R1", "R2"])])
    assert merged[0].depends_on == ["R1", "R2"]
