"""Mechanical repairs and finding merges (pure: text in, text out; nothing is executed)."""

from __future__ import annotations

import ast

from graders.classify import classify_defect
from graders.near_miss import is_near_miss
from graders.repairs import (
    accept_contract,
    coerce_argument,
    dict_to_struct,
    drop_attribute,
    fix_argument,
    rename_import,
    rename_module,
    struct_shape,
)
from graders.repairs_shape import add_argument
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


def test_dict_to_struct_wraps_each_dict_and_imports_on_the_first_import_line() -> None:
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
    assert len(lines) == 3  # lines stay; the import is bound before the module-level call uses it
    assert lines[0].endswith("; from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTableGlobalSecondaryIndex")
    assert dict_to_struct(sigs, {"lib/t.py": new}) is None  # the static signals of round 0 do not wrap twice


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


# --- getting past a wrong name (issue 17) -----------------------------------------------------

def test_did_you_mean_offers_only_near_misses() -> None:
    """The three wrong hints of the issue are refused; twins, spellings and plurals are offered."""
    assert not is_near_miss("Wafv2WebAclRuleStatementRateBasedStatement", "Wafv2WebAclRule")
    assert not is_near_miss("DynamodbTableStreamSpecification", "DynamodbTableReplica")
    assert not is_near_miss("EcsTaskDefinitionContainerDefinitions", "EcsTaskDefinitionProxyConfiguration")
    assert not is_near_miss("subnet_group_name", "subnet_ids")
    assert is_near_miss("S3BucketVersioning", "S3BucketVersioningA")
    assert is_near_miss("streamMode", "stream_mode")
    assert is_near_miss("subnet_id", "subnet_ids")
    assert is_near_miss("CloudwatchLogsGroup", "CloudwatchLogGroup")
    rule, message, _ = classify_defect("static", {"kind": "static-import", "missing_name": "DynamodbTableStreamSpecification",
                                                  "from_module": "cdktf_cdktf_provider_aws.dynamodb_table",
                                                  "suggestions": ["DynamodbTableReplica"], "file": "lib/a.py", "line": 1})
    assert rule.id == "static.provider-class-name"
    assert "DynamodbTableReplica" not in message and "nothing of a near name exists" in message


def test_unknown_argument_is_renamed_to_its_near_miss_keeping_lines() -> None:
    src = ("KinesisStream(self, 's', name='x',\n"
           "              stream_mode_details=KinesisStreamStreamModeDetails(streamMode='ON_DEMAND'))\n")
    sig = {"kind": "static-unknown-arg", "class": "KinesisStreamStreamModeDetails", "arg": "streamMode",
           "file": "lib/s.py", "line": 2, "suggestions": ["stream_mode"]}
    rep = fix_argument([sig], {"lib/s.py": src})
    assert rep is not None and rep.kind == "fix-argument"
    assert "stream_mode='ON_DEMAND'" in rep.files["lib/s.py"] and "streamMode" not in rep.files["lib/s.py"]
    assert rep.files["lib/s.py"].count("\n") == src.count("\n")


def test_unknown_argument_without_a_near_miss_is_removed_from_its_call() -> None:
    src = ("ElasticacheSubnetGroup(self, 'g',\n"
           "    subnet_group_name=f'cache-{suffix}',\n"
           "    name='cache', subnet_ids=ids)\n"
           "Other(subnet_group_name='kept')\n")
    exc = {"kind": "exception", "type": "TypeError", "frames": [{"file": "lib/s.py", "line": 1}],
           "message": "ElasticacheSubnetGroup.__init__() got an unexpected keyword argument 'subnet_group_name'"}
    rep = fix_argument([exc], {"lib/s.py": src})
    assert rep is not None
    new = rep.files["lib/s.py"]
    call = ast.parse(new).body[0].value
    assert [k.arg for k in call.keywords] == ["name", "subnet_ids"]
    assert "Other(subnet_group_name='kept')" in new and new.count("\n") == src.count("\n")


def test_a_provider_class_with_no_near_miss_is_stubbed_out_of_its_import() -> None:
    src = ("from cdktf_cdktf_provider_aws.dynamodb_table import (DynamodbTable,\n"
           "    DynamodbTableStreamSpecification)\n"
           "def build():\n"
           "    return DynamodbTable(stream_specification=DynamodbTableStreamSpecification(stream_enabled=True))\n")
    sig = {"kind": "static-import", "missing_name": "DynamodbTableStreamSpecification", "file": "lib/t.py", "line": 1,
           "from_module": "cdktf_cdktf_provider_aws.dynamodb_table", "suggestions": ["DynamodbTableReplica"]}
    rep = rename_import([sig], {"lib/t.py": src})
    assert rep is not None and rep.kind == "stub-missing-name"
    new = rep.files["lib/t.py"]
    tree = ast.parse(new)
    imported = [a.name for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names]
    assert imported == ["DynamodbTable"]
    assert new.splitlines()[2:4] == src.splitlines()[2:4]  # the use stays on its line
    scope: dict = {"DynamodbTable": lambda **k: k}
    exec(compile(ast.Module([n for n in tree.body if not isinstance(n, ast.ImportFrom)], []), "t", "exec"), scope)
    assert scope["build"]() == {"stream_specification": None}  # the argument is left unset


def _wrong_type(arg: str, expected: str, got: str, line: int = 1) -> dict:
    return {"kind": "exception", "type": "TypeError", "frames": [{"file": "lib/s.py", "line": line}],
            "message": f"type of argument {arg} must be one of ({expected}, NoneType); got {got} instead"}


def test_wrong_type_literals_are_written_as_the_declared_type() -> None:
    """The provider types some booleans and numbers as strings; one block vs a list of them."""
    cases = [("R(self, 'r', at_rest_encryption_enabled=True)\n", _wrong_type("at_rest_encryption_enabled", "str", "bool"),
              "at_rest_encryption_enabled='true'"),
             ("T(self, 't', deregistration_delay=300)\n", _wrong_type("deregistration_delay", "str", "int"),
              "deregistration_delay='300'"),
             ("T(self, 't', tags=[{'a': 'b'}])\n", _wrong_type("tags", "Mapping[str, str]", "list"), "tags={'a': 'b'}"),
             ("T(self, 't', rule=Rule(x=1))\n", _wrong_type("rule", "IResolvable, Sequence[Rule]", "Rule"),
              "rule=[Rule(x=1)]")]
    for src, sig, want in cases:
        rep = coerce_argument([sig], {"lib/s.py": src})
        assert rep is not None and rep.kind == "coerce-argument", src
        assert want in rep.files["lib/s.py"], (rep.files["lib/s.py"], want)


def test_a_wrong_type_with_no_mechanical_fix_is_removed() -> None:
    src = "T(self, 't',\n  port=some_object(),\n  name='n')\n"
    rep = coerce_argument([_wrong_type("port", "int, float", "Thing", line=1)], {"lib/s.py": src})
    assert rep is not None
    assert [k.arg for k in ast.parse(rep.files["lib/s.py"]).body[0].value.keywords] == ["name"]
    rule, _, _ = classify_defect("instantiate", _wrong_type("port", "int, float", "Thing"))
    assert rule.id == "jsii.wrong-type" and rule.repair == "coerce-argument"


def test_a_missing_attribute_becomes_a_token_or_its_near_miss() -> None:
    src = ("x = Output(self, 'o', value=zone.names_fqn)\n"
           "y = Output(self, 'p', value=caller.identity_get().account)\n")
    sig = {"kind": "exception", "type": "AttributeError", "frames": [{"file": "lib/s.py", "line": 2}],
           "message": "'DataAwsCallerIdentity' object has no attribute 'identity_get'"}
    new = drop_attribute([sig], {"lib/s.py": src}).files["lib/s.py"]
    assert "value='tapgrade-missing-identity_get')" in new and "names_fqn" in new  # only the failing line
    sig = {"kind": "exception", "type": "AttributeError", "frames": [{"file": "lib/s.py", "line": 1}],
           "message": "'DataAwsRoute53Zone' object has no attribute 'names_fqn'. Did you mean: 'name_fqn'?"}
    assert "value=zone.name_fqn)" in drop_attribute([sig], {"lib/s.py": src}).files["lib/s.py"]
    rule, _, _ = classify_defect("synth", sig)
    assert rule.id == "exec.missing-attribute" and rule.repair == "drop-attribute"


def _deserialize(tree: str, line: int) -> dict:
    """A jsii deserialization failure as the worker records it (the tree's layout is jsii's)."""
    head = ("Passed to parameter config of new @cdktf/provider-aws.m.M: Unable to deserialize value as "
            "@cdktf/provider-aws.m.MConfig\n├── 🛑 Failing value is an object\n│      { '$jsii.struct': [Object] }\n"
            "╰── 🔍 Failure reason(s):\n")
    return {"kind": "exception", "type": "RuntimeError", "frames": [{"file": "lib/s.py", "line": line}],
            "message": head + tree}


LIST_WANTED = ("    ╰─ Key 'noncurrentVersionExpiration': Unable to deserialize value as cdktf.IResolvable | "
               "array<@cdktf/provider-aws.m.MRuleNve> | undefined\n        ├── 🛑 Failing value is an object\n"
               "        │      { '$jsii.struct': [Object] }\n")
ONE_WANTED = ("    ╰─ Key 'versioningConfiguration': Unable to deserialize value as "
              "@cdktf/provider-aws.m.MVersioning\n        ├── 🛑 Failing value is an array\n        │      [ [Object] ]\n")
DICT_GIVEN = ("    ╰─ Key 'transition': Unable to deserialize value as cdktf.IResolvable | "
              "array<@cdktf/provider-aws.s3BucketThing.S3BucketThingTransition> | undefined\n"
              "        ├── 🛑 Failing value is an array\n        │      [ [Object] ]\n"
              "        ╰── 🔍 Failure reason(s):\n            ├─ [as array<...>] Index 0: Unable to deserialize "
              "value as @cdktf/provider-aws.s3BucketThing.S3BucketThingTransition\n"
              "                ├── 🛑 Failing value is an object\n                │      { '$jsii.map': [Object] }\n")


def test_a_value_of_the_wrong_list_shape_gets_the_declared_shape() -> None:
    """Provider v21 takes blocks as lists: one block given is wrapped, a one-element list given
    where one struct is declared is unwrapped; the call spans several lines, which stay."""
    src = ("M(self, 'm',\n    rule=[Rule(id='r',\n        noncurrent_version_expiration=Nve(days=30))],\n"
           "    versioning_configuration=[Versioning(status='Enabled')])\n")
    rep = struct_shape([_deserialize(LIST_WANTED + ONE_WANTED, 1)], {"lib/s.py": src})
    assert rep is not None and rep.kind == "wrap-in-list"
    new = rep.files["lib/s.py"]
    assert "noncurrent_version_expiration=[Nve(days=30)]" in new and "versioning_configuration=Versioning(" in new
    assert new.count("\n") == src.count("\n")


def test_dicts_jsii_names_are_built_as_their_struct_where_they_are_made() -> None:
    """The dict is built in a variable before the call (the static check cannot place it): the
    function around the call is searched; the class is imported (lines kept)."""
    src = ("def build(self):\n    steps = [{'days': 30, 'storage_class': 'GLACIER'}]\n"
           "    rule = {'id': 'r', 'transition': steps}\n    Thing(self, 't', rule=[rule])\n")
    rep = struct_shape([_deserialize(DICT_GIVEN, 4)], {"lib/s.py": src})
    assert rep is None  # the key is given a variable, not a dict literal: nothing to rebuild mechanically
    src = ("def build(self):\n    rule = {'id': 'r', 'transition': [{'days': 30, 'storage_class': 'GLACIER'}]}\n"
           "    Thing(self, 't', rule=[rule])\n")
    rep = struct_shape([_deserialize(DICT_GIVEN, 3)], {"lib/s.py": src})
    assert rep is not None and rep.kind == "map-to-struct"
    new = rep.files["lib/s.py"]
    assert "'transition': [S3BucketThingTransition(**{'days': 30" in new
    assert "from cdktf_cdktf_provider_aws.s3_bucket_thing import S3BucketThingTransition" in new
    assert new.splitlines()[:3] == [ln.replace("[{", "[S3BucketThingTransition(**{").replace("}]}", "})]}")
                                    for ln in src.splitlines()[:3]]
    src = "Thing(self, 't',\n    transition=[{'days': 30}] if cold else [{'days': 90}])\n"  # either branch
    new = struct_shape([_deserialize(DICT_GIVEN, 1)], {"lib/s.py": src}).files["lib/s.py"]
    assert new.count("S3BucketThingTransition(**{'days'") == 2


def test_a_missing_required_argument_gets_a_placeholder() -> None:
    src = "G(self, 'g',\n  engine='redis',\n  node_type='cache.t3.micro',\n)\n"
    sig = {"kind": "exception", "type": "TypeError", "frames": [{"file": "lib/s.py", "line": 1}],
           "message": "G.__init__() missing 1 required keyword-only argument: 'description'"}
    rep = add_argument([sig], {"lib/s.py": src})
    assert rep is not None and rep.kind == "add-argument"
    call = ast.parse(rep.files["lib/s.py"]).body[0].value
    assert {k.arg: ast.literal_eval(k.value) for k in call.keywords}["description"] == "tapgrade-missing-description"
    rule, _, _ = classify_defect("instantiate", sig)
    assert rule.id == "jsii.missing-argument" and rule.repair == "add-argument"
    assert add_argument([sig], {"lib/s.py": "G(self, 'g', **opts)\n"}) is None  # **opts may hold it
    typed = {**sig, "message": "G.__init__() missing 3 required keyword-only arguments: 'target_group', 'enabled' "
             "and 'size'", "arg_placeholders": {"target_group": "[]", "enabled": "False", "size": "0"}}
    call = ast.parse(add_argument([typed], {"lib/s.py": src}).files["lib/s.py"]).body[0].value
    assert {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg in typed["arg_placeholders"]} == {
        "target_group": [], "enabled": False, "size": 0}  # each placeholder of its declared shape


def test_names_imported_from_the_wrong_provider_module_move_home_in_one_round() -> None:
    """The static check lists every wrong name of the statement with its home module; one repair
    imports each from its home, keeping the statement's lines; names with no home and no near
    miss are stubbed out together."""
    src = ("from cdktf_cdktf_provider_aws import (\n    Vpc,\n    Subnet as Sn,\n    Imaginary,\n)\n"
           "x = Vpc\n")
    statement = {"Vpc": {"home": "cdktf_cdktf_provider_aws.vpc", "suggestions": []},
                 "Subnet": {"home": "cdktf_cdktf_provider_aws.subnet", "suggestions": []},
                 "Imaginary": {"home": None, "suggestions": ["Imagebuilder"]}}
    sig = {"kind": "static-import", "missing_name": "Vpc", "file": "lib/t.py", "line": 1,
           "from_module": "cdktf_cdktf_provider_aws", "suggestions": [], "statement": statement}
    rep = rename_import([sig], {"lib/t.py": src})
    assert rep is not None and rep.kind == "relocate-import"
    new = rep.files["lib/t.py"]
    assert new.count("\n") == src.count("\n") and new.splitlines()[5] == "x = Vpc"
    imports = {(n.module, a.name, a.asname) for n in ast.parse(new).body if isinstance(n, ast.ImportFrom) for a in n.names}
    assert imports == {("cdktf_cdktf_provider_aws.vpc", "Vpc", None), ("cdktf_cdktf_provider_aws.subnet", "Subnet", "Sn")}
    assert new.splitlines()[0].endswith("; Imaginary = lambda *_args, **_kwargs: None")  # in the same round
    assert "Imaginary" in rep.description and "stub" in rep.description
    again = {**sig, "from_module": "cdktf_cdktf_provider_aws.vpc"}  # the round-0 signal, on the rewritten line
    assert rename_import([again], {"lib/t.py": new}) is None  # nothing left to move: not repaired again
    rep = rename_import([{**sig, "missing_name": "Imaginary"}], {"lib/t.py": src.replace("    Vpc,\n", "\n")
                                                                  .replace("    Subnet as Sn,\n", "\n")})
    assert rep is not None and rep.kind == "stub-missing-name"  # nothing to move: the stub repair alone


def test_a_struct_of_the_wrong_class_is_built_as_the_declared_one() -> None:
    src = "W(self, 'w',\n  visibility_config=Wafv2WebAclVisibilityConfig(metric_name='m'))\n"
    sig = _wrong_type("visibility_config", "cdktf_cdktf_provider_aws.wafv2_web_acl.Wafv2WebAclRuleVisibilityConfig, "
                      "Dict[str, Any]", "cdktf_cdktf_provider_aws.wafv2_web_acl.Wafv2WebAclVisibilityConfig")
    rep = coerce_argument([sig], {"lib/s.py": src})
    assert rep is not None and "Wafv2WebAclRuleVisibilityConfig" in rep.description
    new = rep.files["lib/s.py"]
    assert "visibility_config=Wafv2WebAclRuleVisibilityConfig(metric_name='m'))" in new
    assert new.splitlines()[2] == ("from cdktf_cdktf_provider_aws.wafv2_web_acl import Wafv2WebAclRuleVisibilityConfig"
                                   "  # added by tapgrade repair")


def test_names_from_a_provider_module_that_does_not_exist_are_imported_from_their_home() -> None:
    src = "from cdktf_cdktf_provider_aws.iam_policy_document import DataAwsIamPolicyDocument\nx = DataAwsIamPolicyDocument\n"
    sig = {"kind": "static-module", "missing_module": "cdktf_cdktf_provider_aws.iam_policy_document", "file": "lib/t.py",
           "line": 1, "suggestions": [], "missing_name": "DataAwsIamPolicyDocument",
           "statement": {"DataAwsIamPolicyDocument": {"home": "cdktf_cdktf_provider_aws.data_aws_iam_policy_document",
                                                      "home_name": "DataAwsIamPolicyDocument", "suggestions": []}}}
    rep = rename_module([sig], {"lib/t.py": src})
    assert rep is not None and rep.kind == "relocate-import"
    assert rep.files["lib/t.py"].splitlines()[0] == (
        "from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import DataAwsIamPolicyDocument")


def test_an_undefined_name_becomes_a_python_literal_or_an_import() -> None:
    from graders.repairs import REPAIRS

    src = 'cfg = {"enabled": true, "x": null}\ny = "true"\n'
    sig = {"kind": "exception", "type": "NameError", "undefined_name": "true", "message": "name 'true' is not defined",
           "frames": [{"file": "lib/s.py", "line": 1}]}
    rep = REPAIRS["define-name"]([sig], {"lib/s.py": src})
    assert rep is not None and rep.files["lib/s.py"] == 'cfg = {"enabled": True, "x": null}\ny = "true"\n'
    rule, _, defect = classify_defect("instantiate", sig)
    assert rule.id == "exec.undefined-name" and rule.repair == "define-name" and defect == "name:lib/s.py:true"
    sig = {**sig, "undefined_name": "EcsServiceLoadBalancer", "home_module": "cdktf_cdktf_provider_aws.ecs_service",
           "home_name": "EcsServiceLoadBalancer", "message": "name 'EcsServiceLoadBalancer' is not defined"}
    new = REPAIRS["define-name"]([sig], {"lib/s.py": "x = EcsServiceLoadBalancer()\n"}).files["lib/s.py"]
    assert new.splitlines() == ["x = EcsServiceLoadBalancer()",
                                "from cdktf_cdktf_provider_aws.ecs_service import EcsServiceLoadBalancer"
                                "  # added by tapgrade repair"]
    rep = REPAIRS["define-name"]([{**sig, "undefined_name": "Unknown", "home_module": None}], {"lib/s.py": "x = Unknown()\n"})
    assert rep.kind == "stub-missing-name"  # defined nowhere: a stub, at the end of a module with no import
    assert rep.files["lib/s.py"].splitlines()[1].startswith("Unknown = lambda *_args, **_kwargs: None")
    assert REPAIRS["define-name"]([{**sig, "undefined_name": "unknown", "home_module": None}],
                                  {"lib/s.py": "x = unknown()\n"}) is None  # not class-like: not stubbed


def test_a_missing_asset_gets_a_stand_in_of_the_kind_the_call_packs() -> None:
    from graders.repairs import REPAIRS

    sig = {"kind": "exception", "type": "RuntimeError", "missing_path": "lib/lambda/fn.zip",
           "frames": [{"file": "lib/s.py", "line": 1}],
           "message": "ENOENT: no such file or directory, stat '/w/lib/lambda/fn.zip'"}
    archive = "TerraformAsset(self, 'a', path='lib/lambda/fn.zip',\n    type=AssetType.ARCHIVE)\n"
    assert list(REPAIRS["create-asset"]([sig], {"lib/s.py": archive}).files) == ["lib/lambda/fn.zip/.tapgrade-placeholder"]
    file_asset = "LambdaFunction(self, 'f', filename='lib/lambda/fn.zip')\n"
    made = REPAIRS["create-asset"]([sig], {"lib/s.py": file_asset}).files["lib/lambda/fn.zip"]
    assert made.startswith("PK\x05\x06") and len(made) == 22  # an empty zip archive


def test_an_unknown_key_of_a_struct_built_from_a_dict_is_removed() -> None:
    src = "S(**{'maximum_percent': 200,\n    'minimum_healthy_percent': 50})\n"
    exc = {"kind": "exception", "type": "TypeError", "frames": [{"file": "lib/s.py", "line": 1}],
           "message": "S.__init__() got an unexpected keyword argument 'minimum_healthy_percent'"}
    rep = fix_argument([exc], {"lib/s.py": src})
    assert rep is not None and "dict entry removed" in rep.description
    new = rep.files["lib/s.py"]
    assert ast.literal_eval(ast.parse(new).body[0].value.keywords[0].value) == {"maximum_percent": 200}
    assert new.count("\n") == src.count("\n")


def test_a_construct_id_used_twice_is_renamed_where_it_raised_but_not_in_a_loop() -> None:
    from graders.repairs import REPAIRS

    src = "IamPolicy(self, 'policy', name='a')\nIamPolicy(self, 'policy', name='b')\n"
    sig = {"kind": "exception", "type": "RuntimeError", "frames": [{"file": "lib/s.py", "line": 2}],
           "message": "There is already a Construct with name 'policy' in TerraformStack [TapStackdev]"}
    rep = REPAIRS["rename-construct-id"]([sig], {"lib/s.py": src})
    assert rep is not None and rep.files["lib/s.py"].splitlines() == [
        "IamPolicy(self, 'policy', name='a')", "IamPolicy(self, 'policy-tapgrade-2', name='b')"]
    rule, _, _ = classify_defect("instantiate", sig)
    assert rule.id == "exec.duplicate-id" and rule.repair == "rename-construct-id"
    loop = "for n in names:\n    IamPolicy(self, 'policy', name=n)\n"
    assert REPAIRS["rename-construct-id"]([{**sig, "frames": [{"file": "lib/s.py", "line": 2}]}], {"lib/s.py": loop}) is None


def test_an_import_the_repair_adds_is_bound_before_module_level_code() -> None:
    """An adopted main.py builds its stack at module level: the import joins the first import
    line (lines kept); a second try of the same import is not this repair's."""
    from graders.repairs import REPAIRS

    src = "import os\nfrom cdktf import App\napp = App()\nx = EcsServiceLoadBalancer()\napp.synth()\n"
    sig = {"kind": "exception", "type": "NameError", "undefined_name": "EcsServiceLoadBalancer",
           "home_module": "cdktf_cdktf_provider_aws.ecs_service", "home_name": "EcsServiceLoadBalancer",
           "message": "name 'EcsServiceLoadBalancer' is not defined", "frames": [{"file": "main.py", "line": 4}]}
    new = REPAIRS["define-name"]([sig], {"main.py": src}).files["main.py"]
    assert new.splitlines()[0] == "import os; from cdktf_cdktf_provider_aws.ecs_service import EcsServiceLoadBalancer"
    assert new.count("\n") == src.count("\n")
    assert REPAIRS["define-name"]([sig], {"main.py": new}) is None


def test_a_token_list_is_indexed_with_fn_element_everywhere_in_the_module() -> None:
    from graders.repairs import REPAIRS

    src = ("from cdktf import TerraformStack\nazs = DataAwsAvailabilityZones(self, 'azs')\n"
           "for i in range(2):\n"
           "    Subnet(self, f's{i}', availability_zone=f'{azs.names[i]}')\n"
           "Subnet(self, 'x', availability_zone=azs.names[1], cidr_block=self.cidrs[0])\n")
    sig = {"kind": "exception", "type": "IndexError", "message": "list index out of range",
           "frames": [{"file": "lib/s.py", "line": 4}]}
    rule, _, _ = classify_defect("instantiate", sig)
    assert rule.id == "exec.index-error" and rule.repair == "token-element"
    rep = REPAIRS["token-element"]([sig], {"lib/s.py": src})
    assert rep is not None and "azs.names" in rep.description
    new = rep.files["lib/s.py"]
    assert "f'{_TapgradeFn.element(azs.names, i)}'" in new  # no quotes: valid inside any f-string
    assert "availability_zone=_TapgradeFn.element(azs.names, 1)" in new
    assert new.splitlines()[0] == "from cdktf import TerraformStack; from cdktf import Fn as _TapgradeFn"
    assert "self.cidrs[0]" in new and new.count("\n") == src.count("\n")  # another list is left alone
    ast.parse(new)
    assert REPAIRS["token-element"]([{**sig, "frames": [{"file": "lib/s.py", "line": 2}]}], {"lib/s.py": src}) is None
    split = "Alarm(self, 'a', dimensions={'LoadBalancer': alb_arn.split(':loadbalancer/')[1]})\n"
    new = REPAIRS["token-element"]([{**sig, "frames": [{"file": "lib/s.py", "line": 1}]}], {"lib/s.py": split})
    assert "_TapgradeFn.element(_TapgradeFn.split(':loadbalancer/', alb_arn), 1)" in new.files["lib/s.py"]


def test_a_wrong_type_in_a_nested_dict_is_coerced_where_jsii_converts_it() -> None:
    """jsii converts a nested dict in the outer struct's constructor, so the error names the outer
    call's line; the entry is found in the dicts that call passes, never in tags."""
    src = ("LaunchTemplate(self, 't', tags={'delete_on_termination': True},\n"
           "    block_device_mappings=[M(**{'device_name': 'x',\n"
           "        'ebs': {'encrypted': 'true', 'delete_on_termination': True}})])\n")
    rep = coerce_argument([_wrong_type("delete_on_termination", "str", "bool", line=2)], {"lib/s.py": src})
    assert rep is not None and rep.kind == "coerce-argument"
    new = rep.files["lib/s.py"]
    assert "'delete_on_termination': 'true'}})])" in new and "tags={'delete_on_termination': True}" in new


def test_an_unknown_key_of_a_keyword_dict_is_removed() -> None:
    src = ("SfnStateMachine(self, 's', tags={'destinations': 'x'},\n"
           "    logging_configuration={'level': 'ALL', 'destinations': [{'arn': 'a'}]})\n")
    exc = {"kind": "exception", "type": "TypeError", "frames": [{"file": "lib/s.py", "line": 1}],
           "message": "SfnStateMachineLoggingConfiguration.__init__() got an unexpected keyword argument 'destinations'"}
    rep = fix_argument([exc], {"lib/s.py": src})
    assert rep is not None and "dict entry removed" in rep.description
    call = ast.parse(rep.files["lib/s.py"]).body[0].value
    kw = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
    assert kw == {"tags": {"destinations": "x"}, "logging_configuration": {"level": "ALL"}}


def test_names_of_a_module_that_does_not_exist_and_live_nowhere_are_stubbed_in_place() -> None:
    src = ("from cdktf_cdktf_provider_aws.eventbridge_schedule import EventbridgeSchedule\n"
           "EventbridgeSchedule(self, 's', name='n')\n")
    sig = {"kind": "static-module", "missing_module": "cdktf_cdktf_provider_aws.eventbridge_schedule",
           "file": "lib/t.py", "line": 1, "suggestions": [], "missing_name": "EventbridgeSchedule",
           "statement": {"EventbridgeSchedule": {"home": None, "home_name": None, "suggestions": []}}}
    rep = rename_module([sig], {"lib/t.py": src})
    assert rep is not None and rep.kind == "stub-missing-name"
    assert rep.files["lib/t.py"].splitlines() == ["EventbridgeSchedule = lambda *_args, **_kwargs: None",
                                                  "EventbridgeSchedule(self, 's', name='n')"]


def test_a_stack_module_that_lacks_the_class_the_entry_imports() -> None:
    from harness.contract import entry_stack_names, lacks_names

    entry = "from lib.tap_stack import TapStack\nfrom cdktf import App\n"
    assert entry_stack_names(entry) == {"lib.tap_stack": ["TapStack"]}
    app_script = "from cdktf import App\nfrom lib.other import Other\napp = App()\nOther(app, 'o')\napp.synth()\n"
    assert lacks_names(app_script, ["TapStack"]) == ["TapStack"]
    assert lacks_names("from lib.real import TapStack\n", ["TapStack"]) == []
    assert lacks_names("class TapStack:\n    pass\n", ["TapStack"]) == []
    assert lacks_names("try:\n    from x import TapStack\nexcept ImportError:\n    pass\n", ["TapStack"]) == []
    assert lacks_names("def broken(:\n", ["TapStack"]) == []


def test_terraform_interpolation_in_an_f_string_becomes_the_fn_call() -> None:
    """Synth names no line for a list token inside a string: every f-string of the response that is
    one Terraform function call over Python values is rewritten; other f-strings stay."""
    from graders.repairs import REPAIRS

    src = ("Subnet(self, f's{i}', availability_zone=f\"${{element({self.azs.names}, {i})}}\",\n"
           "       tags={'Name': f'subnet-{i}'})\n")
    sig = {"kind": "exception", "type": "RuntimeError",
           "message": "Error: Found an encoded list token string in a scalar string context."}
    rule, _, _ = classify_defect("synth", sig)
    assert rule.id == "synth.list-in-string" and rule.repair == "fn-call"
    rep = REPAIRS["fn-call"]([sig], {"lib/a.py": src, "lib/b.py": "x = f'{y}'\n", "README.md": "${{element("})
    assert rep is not None and set(rep.files) == {"lib/a.py"}
    assert rep.files["lib/a.py"] == src.replace('f"${{element({self.azs.names}, {i})}}"',
                                                "_TapgradeFn.element(self.azs.names, i)") + (
        "from cdktf import Fn as _TapgradeFn  # added by tapgrade repair\n")  # no import in the module: at its end


def test_a_stack_without_a_provider_gets_one_on_its_super_line() -> None:
    from graders.repairs import REPAIRS

    src = ("class TenantStack(TerraformStack):\n    def __init__(self, scope, id):\n"
           "        super().__init__(scope, id)\n        S3Bucket(self, 'b')\n\n\n"
           "class Central(TerraformStack):\n    def __init__(self, scope, id):\n"
           "        super().__init__(scope, id)\n        AwsProvider(self, 'aws', region='eu-west-1')\n")
    sig = {"kind": "exception", "type": "RuntimeError", "message": "Error: Validation failed with the following "
           "errors:\n  [t] Found resources without a matching provider construct. Please make sure ..."}
    rule, _, _ = classify_defect("synth", sig)
    assert rule.id == "synth.no-provider" and rule.repair == "add-provider"
    new = REPAIRS["add-provider"]([sig], {"lib/s.py": src}).files["lib/s.py"]
    lines = new.splitlines()
    assert lines[2].startswith("        super().__init__(scope, id); __import__(\"cdktf_cdktf_provider_aws.provider\"")
    assert lines[8] == "        super().__init__(scope, id)" and len(lines) == len(src.splitlines())
    ast.parse(new)


def test_a_module_the_response_ships_under_another_path_is_imported_from_there() -> None:
    from graders.repairs import REPAIRS

    files = {"lib/tap_stack.py": "from stacks.vpc_stack import VpcStack\nfrom stacks import DbStack\nimport os\n",
             "lib/stacks/__init__.py": "from .vpc_stack import VpcStack\n", "lib/stacks/vpc_stack.py": "class VpcStack: ...\n"}
    sig = {"kind": "exception", "type": "ModuleNotFoundError", "missing_module": "stacks",
           "message": "No module named 'stacks'", "frames": [{"file": "lib/tap_stack.py", "line": 1}]}
    rule, _, _ = classify_defect("import", sig)
    assert rule.id == "import.module-not-found" and rule.repair == "find-module"
    rep = REPAIRS["find-module"]([sig], files)
    assert rep is not None and rep.kind == "local-module"
    assert rep.files["lib/tap_stack.py"] == ("from lib.stacks.vpc_stack import VpcStack\nfrom lib.stacks import DbStack\n"
                                             "import os\n")
    assert REPAIRS["find-module"]([{**sig, "missing_module": "nowhere"}], files) is None


def test_generated_bindings_the_response_does_not_ship_are_imported_from_the_provider() -> None:
    """``from imports.aws import Vpc`` (cdktf get's output): the static signal gives each name's
    home and Python's error names the top package, so both share one defect."""
    from graders.repairs import REPAIRS

    src = "from imports.aws import Vpc, Subnet\n"
    static = {"kind": "static-module", "missing_module": "imports.aws", "file": "lib/t.py", "line": 1,
              "missing_name": "Vpc", "suggestions": [], "defect": "module:imports",
              "statement": {"Vpc": {"home": "cdktf_cdktf_provider_aws.vpc", "home_name": "Vpc", "suggestions": []},
                            "Subnet": {"home": "cdktf_cdktf_provider_aws.subnet", "home_name": "Subnet",
                                       "suggestions": []}}}
    exc = {"kind": "exception", "type": "ModuleNotFoundError", "missing_module": "imports",
           "message": "No module named 'imports'", "frames": [{"file": "lib/t.py", "line": 1}]}
    _, _, defect = classify_defect("import", exc)
    assert defect == static["defect"]
    rep = REPAIRS["find-module"]([exc, static], {"lib/t.py": src})
    assert rep is not None and rep.kind == "relocate-import"
    assert rep.files["lib/t.py"] == ("from cdktf_cdktf_provider_aws.vpc import Vpc; "
                                     "from cdktf_cdktf_provider_aws.subnet import Subnet\n")
