"""The one catalogue that decides severities.

Properties kept on purpose:
- data first: ``RULES`` is one ordered table; ``graders.classify`` walks it and takes the first
  rule whose stage and pattern match a raw signal. Adding a rule never touches the engine.
- every finding the harness reports has exactly one rule here, so "where does lint severity come
  from" is answered in this file: ``PYLINT_RULES`` for named messages, then the per-category
  fallbacks at the end of ``RULES``.
- seeded from ``shared/spec/reference-failure-analysis.md`` (its severities are the contract) and
  from what the corpus runs show.

Severities: Critical (nothing deploys), High (deploys wrong or breaks the pipeline's policy),
Medium, Low, and Info (recorded, not a failure). What a rule is and the severities live in
``rule.py``; the rules for Terraform's diagnostics (one set per stage) in ``terraform_rules.py``,
those over the synthesized configuration in ``config_catalogue.py``; all take their place in
``RULES`` here.
"""

from __future__ import annotations

from .checkov_severity import CHECKOV_SEVERITIES
from .config_catalogue import config_catalogue_rules
from .deploy_catalogue import deploy_catalogue_rules
from .lint_rules import PYLINT_RULES
from .rule import ANY, EXEC, FAILURE_SEVERITIES, SEVERITIES, Rule, Severity
from .static_rules import CONTRACT, PROVIDER_NAME, TOOLCHAIN_NAME, static_rules
from .terraform_rules import terraform_rules

# Re-exported: the catalogue is where the harness reads rules and severities from.
__all__ = ["ANY", "AFTER_STUB_RULES", "EXEC", "FAILURE_SEVERITIES", "OUTSIDE_GRAPH_DOWNGRADE", "PYLINT_RULES", "RULES",
           "SEVERITIES", "Rule", "Severity", "rule_by_id"]


# Static and lint findings in a file the stack's entry never imports (harness/import_graph.py) cannot
# break synthesis: they are rated this many levels lower, never below Low (graders/classify.py).
OUTSIDE_GRAPH_DOWNGRADE = 1

# After a repair stubbed out a name (``stub-missing-name``: calls to it give None), a required
# argument or block found missing may be the one the stub left unset, and an attribute read off
# None may be read off the stub's result, and a resource the reference comparison misses may be one
# the stubbed call would have created: such findings (rule id, message) are Info (recorded, the
# response not blamed for what the harness's copy lacks).
AFTER_STUB_RULES = (r"^(validate|plan|deploy|jsii)\.missing-argument |^exec\.missing-attribute \S+: 'NoneType' object"
                    r"|^reference\.(missing-control|missing-resource|value-contradicts-prompt) ")

RULES: tuple[Rule, ...] = (
    # --- extract -------------------------------------------------------------------------------
    Rule("extract.no-code", "extract", "Critical", "No code in the response",
         "The response holds no fenced code block that maps to a file.",
         "Answer with the files of the project in fenced code blocks named by path.",
         {"kind": "no-code"}, "the response has no code files"),
    Rule("extract.no-stack-module", "extract", "Critical", "No stack module found",
         "The entry point imports a stack module that the response does not provide.",
         "Provide the module the entry point imports (usually lib/tap_stack.py defining TapStack).",
         {"kind": "no-stack-module"}, "{message}", repair="adopt-response-entry"),
    Rule("extract.not-utf8", "extract", "Medium", "Response is not valid UTF-8",
         "The response holds bytes that are not UTF-8 (a corrupted or mis-encoded answer); they were "
         "replaced by U+FFFD and the response graded as decoded.", "Answer in UTF-8 text.",
         {"kind": "not-utf8"}),
    Rule("extract.unsafe-file", "extract", "Info", "Bundle file not copied",
         "A file of the task bundle (files/ or reference/) is a symbolic link; links are never followed or "
         "copied into a workspace (one could point anywhere on the host).", "Ship regular files.",
         {"kind": "unsafe-file"}),
    Rule("extract.unmapped-module", "extract", "Info", "Whole module without a file name",
         "A complete Python module was written without naming its file, so it cannot be placed.",
         "Name every file with a heading such as '## File: lib/x.py'.",
         {"kind": "unmapped-block", "block_kind": "module"}),
    Rule("extract.unsafe-path", "extract", "Info", "File path outside the workspace refused",
         "A block names a path that would leave the project directory.",
         "Use paths relative to the project root.", {"kind": "unmapped-block", "block_kind": "unsafe-path"}),
    Rule("extract.unmapped-block", "extract", "Info", "Code block not mapped to a file",
         "A snippet, example or duplicate that is not a file of the project.", "None needed.",
         {"kind": "unmapped-block"}),
    Rule("extract.response-entry-ignored", "extract", "Info", "Response's own entry point not used",
         "The entry point belongs to the task; the response's tap.py is recorded, never run.",
         "Keep the task's tap.py contract.", {"kind": "entry-ignored"}),
    # --- static (parsed, never run; names resolved against the installed toolchain) ------------
    *static_rules(),
    # --- import / instantiate / synth ----------------------------------------------------------
    Rule("exec.disk-limit", EXEC, "Critical", "File size or disk limit exceeded",
         "The code wrote more than the grading sandbox allows (one file over the size bound, or the "
         "workspace's disk full).", "Do not write large files during synthesis.",
         {"kind": "exception", "message": r"File too large|No space left on device|\[Errno 27\]|\[Errno 28\]"},
         "{type}: {message_head}"),
    Rule("import.provider-class-name", EXEC, "Critical", *PROVIDER_NAME,
         {"kind": "exception", "type": "ImportError", "from_module": r"^cdktf_cdktf_provider_aws\b"},
         "cannot import {missing_name} from {from_module}", repair="rename-import", defect="import:{from_module}:{missing_name}"),
    Rule("import.provider-module-missing", EXEC, "Critical", "Provider module does not exist",
         "The code imports a provider submodule that does not exist in the pinned provider.",
         "Import the suggested module.",
         {"kind": "exception", "type": "ModuleNotFoundError", "missing_module": r"^cdktf_cdktf_provider_aws\."},
         "no module {missing_module}", repair="rename-module", defect="module:{missing_module}"),
    Rule("import.cdktf-name", EXEC, "Critical", *TOOLCHAIN_NAME,
         {"kind": "exception", "type": "ImportError", "from_module": r"^(cdktf|constructs)\b"},
         "cannot import {missing_name} from {from_module}", repair="rename-import",
         defect="import:{from_module}:{missing_name}"),
    Rule("import.provider-not-installed", EXEC, "Info", "Provider package not in the toolchain",
         "The code imports a prebuilt CDKTF provider other than AWS (kubernetes, random, ...) that the pinned "
         "toolchain does not install: the harness cannot judge past the import; the response is not at fault.",
         "None for the response (add the provider to the toolchain to grade it).",
         {"kind": "exception", "type": "ModuleNotFoundError", "missing_module": r"^cdktf_cdktf_provider_(?!aws\b)\w+$"},
         "no module {missing_module} in the toolchain"),
    Rule("import.module-not-found", EXEC, "Critical", "Module not found",
         "The code imports a module that neither the response nor the toolchain provides.",
         "Provide the module or depend only on the toolchain's packages.",
         {"kind": "exception", "type": "ModuleNotFoundError"}, repair="find-module", defect="module:{missing_module}"),
    Rule("import.syntax-error", EXEC, "Critical", "Syntax error",
         "The module does not parse, so nothing can be imported.", "Fix the syntax error.",
         {"kind": "exception", "type": r"^(SyntaxError|IndentationError|TabError)$"}),
    Rule("exec.undefined-name", EXEC, "Critical", "Name not defined",
         "The code uses a name it never imports or defines: a provider class without its import, or a "
         "JSON literal (true, false, null) written where Python needs True, False, None.",
         "Import the class from the provider module that defines it; write Python literals.",
         {"kind": "exception", "type": "NameError", "undefined_name": r"."},
         "{type}: {message_head}", repair="define-name", defect="name:{top_file}:{undefined_name}"),
    Rule("import.name-error", "import", "Critical", "Name error at import",
         "Module-level code uses a name that is not defined or imported.", "Import or define the name.",
         {"kind": "exception", "type": "NameError"}),
    Rule("import.import-error", "import", "Critical", "Import failed",
         "Importing the stack module raised an ImportError.", "Fix the import.",
         {"kind": "exception", "type": "ImportError"}),
    Rule("contract.tapstack-signature", "instantiate", "Critical", *CONTRACT,
         {"kind": "exception", "type": "TypeError",
          "message": r"__init__\(\) (got an unexpected keyword argument|missing \d+ required)",
          "at_entry": True}, "{type}: {message}", repair="accept-contract", defect="contract"),
    Rule("jsii.struct-deserialize", EXEC, "Critical", "Plain dict where a typed struct is required",
         "A nested configuration was given as a dict (or list of dicts) that jsii cannot deserialize "
         "into the provider's struct class.",
         "Build the struct class (e.g. DynamodbTableGlobalSecondaryIndex(...)) instead of a dict.",
         {"kind": "exception", "message": r"Unable to deserialize value as"}, "{message_head}",
         repair="struct-shape", defect="struct:{top_file}:{top_line}"),
    Rule("jsii.unexpected-argument", EXEC, "Critical", "Unknown argument to a provider class",
         "A resource, data source or struct was given a keyword argument it does not have.",
         "Use the argument names of the pinned provider.",
         {"kind": "exception", "type": "TypeError", "message": r"got an unexpected keyword argument"},
         "{type}: {message}", repair="fix-argument", defect="arg:{top_file}:{top_line}:{arg}"),
    Rule("jsii.wrong-type", EXEC, "Critical", "Argument of the wrong type",
         "A resource, data source or struct was given a value of another type than the provider declares "
         "(a bool or number where it types a string, one block where it takes a list, or the reverse).",
         "Pass the declared type (the provider's string-typed booleans and numbers take quoted values).",
         {"kind": "exception", "type": "TypeError", "message": r"type of argument \w+ must be"},
         "{type}: {message_head}", repair="coerce-argument", defect="type:{top_file}:{top_line}"),
    Rule("jsii.missing-argument", EXEC, "Critical", "Missing required argument to a provider class",
         "A resource, data source or struct was built without a required argument.",
         "Pass every required argument.",
         {"kind": "exception", "type": "TypeError", "message": r"missing \d+ required"}, "{type}: {message}",
         repair="add-argument", defect="struct:{top_file}:{top_line}"),
    Rule("jsii.error", EXEC, "Critical", "jsii runtime error",
         "The CDKTF runtime rejected a value or a call.", "Read the message; fix the value's type or shape.",
         {"kind": "exception", "qualified_type": r"^jsii\."}, "{type}: {message_head}"),
    Rule("synth.invalid-output", ANY, "Critical", "Synthesized stack cannot be judged",
         "The stack's cdk.tf.json is not a JSON object (something overwrote it after synth), or holds "
         "more resources than the harness plans; no later stage could judge it.",
         "Let synthesis write the configuration, and keep stacks to a deployable size.", {"kind": "invalid-output"}),
    Rule("synth.no-synth-call", "synth", "Critical", "Entry point never synthesized",
         "The app was built but app.synth() was never called.", "Call app.synth() in the entry point.",
         {"kind": "no-synth"}),
    Rule("synth.no-stack", "synth", "Critical", "Synthesis produced no stack",
         "The app holds no TerraformStack, so nothing would be deployed.",
         "Create the TapStack in the app.", {"kind": "no-output"}),
    Rule("instantiate.exit", "instantiate", "Critical", "Entry point exited with an error",
         "Code run by the entry point called sys.exit with a non-zero status.", "Do not exit from stack code.",
         {"kind": "exit"}),
    Rule("exec.timeout", EXEC, "Critical", "Stage timed out",
         "The stage did not finish within its time limit (a hang or an endless loop in the response).",
         "Remove blocking calls and loops from stack construction.", {"kind": "timeout"}),
    Rule("exec.crash", EXEC, "Critical", "Toolchain process died",
         "The process running the response died (os._exit, a signal, a native crash).",
         "Do not exit or crash the process from stack code.", {"kind": "crash"}),
    Rule("exec.resource-limit", EXEC, "Critical", "Resource limit exceeded",
         "The response used more memory or processes than a grading sandbox allows.",
         "Do not allocate unbounded memory or start processes during synthesis.", {"kind": "resource-limit"}),
    Rule("exec.toolchain-tampered", ANY, "Critical", "Response changed the toolchain it ran in",
         "The response's code rebound names of the toolchain or the standard library (a class's method, "
         "a builtin, a signal or import hook, jsii state) in the warm process that grades many responses; "
         "it would change every later response's result. The worker was replaced before the next variant.",
         "Do not monkeypatch libraries or interpreter hooks from stack code.", {"kind": "toolchain-tampered"}),
    Rule("exec.parent-killed", ANY, "Critical", "Response signalled the process that started it",
         "The response's code killed its parent process (the grading worker's guard).",
         "Do not signal processes the stack did not start.", {"kind": "parent-killed"}),
    Rule("exec.sandbox-refused", ANY, "Critical", "Response did what the grading sandbox refuses",
         "While synthesizing, the code reached the network beyond the local emulator, wrote outside its "
         "workspace, read the host's home or secret files, or signalled a process it did not start. "
         "Synthesis must be self-contained.",
         "Synthesize from the code and files of the project only.", {"kind": "sandbox-policy"},
         "{what}: {message}"),
    Rule("exec.left-behind", ANY, "High", "Response left processes or threads running",
         "Code the response ran started a process or thread that was still running when its stage ended "
         "(a daemon, a background job); it was ended by the harness.",
         "Do not start background work during synthesis, or wait for it.", {"kind": "left-behind"}),
    Rule("exec.duplicate-id", EXEC, "Critical", "Construct id used twice in one scope",
         "Two constructs in one scope share an id, which cdktf refuses (often a copied block whose id "
         "was not changed).", "Give every construct in a scope its own id.",
         {"kind": "exception", "message": r"There is already a Construct with name"}, "{type}: {message_head}",
         repair="rename-construct-id", defect="id:{top_file}:{top_line}"),
    Rule("exec.missing-asset", EXEC, "Critical", "Asset file the code points at is missing",
         "The code packages a file or directory (a Lambda zip, an asset folder) that the response does "
         "not ship, so synthesis stops on it; a deployment would too.",
         "Ship the file, or build it from the source in the stack (an archive data source or TerraformAsset).",
         {"kind": "exception", "missing_path": r"."}, "{type}: {message_head}", repair="create-asset",
         defect="asset:{missing_path}"),
    Rule("exec.index-error", EXEC, "Critical", "List indexed past its end",
         "The code indexes a list past its end. At synth time a construct's list attribute "
         "(DataAwsAvailabilityZones.names, a resource's ids) is one token, whatever its length once "
         "deployed, so Python indexing of it fails.", "Index token lists with Fn.element(list, i).",
         {"kind": "exception", "type": "IndexError"}, "{type}: {message_head}", repair="token-element",
         defect="index:{top_file}:{top_line}"),
    Rule("exec.missing-attribute", EXEC, "Critical", "Attribute the object does not have",
         "The code reads an attribute or method that the provider object, Fn or module does not define "
         "(often a name invented from another CDK's API).", "Use the attribute the provider class defines.",
         {"kind": "exception", "type": "AttributeError"}, "{type}: {message_head}", repair="drop-attribute",
         defect="attr:{top_file}:{top_line}"),
    # an exception at import that no rule above names (the jsii and attribute rules match at any stage)
    Rule("import.error", "import", "Critical", "Importing the stack module raised",
         "Module-level code of the response raised while being imported.", "Fix the module-level code.",
         {"kind": "exception"}, "{type}: {message}"),
    Rule("instantiate.error", "instantiate", "Critical", "Building the stack raised",
         "The stack's constructor (or code it calls) raised while the entry point built the app.",
         "Read the traceback; fix the failing call.", {"kind": "exception"}, "{type}: {message_head}"),
    Rule("synth.list-in-string", "synth", "Critical", "List token used inside a string",
         "A list-valued attribute is interpolated into a string (often Terraform syntax in an f-string, "
         "f\"${{element({azs.names}, {i})}}\"): at synth time the list is a token that cannot be "
         "embedded in a string, so synthesis fails.", "Use cdktf's Fn functions (Fn.element(list, i)).",
         {"kind": "exception", "message": r"encoded list token string in a scalar string context"},
         "{type}: {message_head}", repair="fn-call"),
    Rule("synth.no-provider", "synth", "Critical", "Stack without a provider",
         "A stack holds AWS resources but configures no AwsProvider (often one of several stacks), "
         "which cdktf's validation refuses at synth.", "Configure an AwsProvider in every stack.",
         {"kind": "exception", "message": r"Found resources without a matching provider construct"},
         "{type}: {message_head}", repair="add-provider"),
    Rule("synth.error", "synth", "Critical", "Synthesis raised",
         "app.synth() raised: a value could not be resolved or validated.",
         "Read the traceback; fix the construct or value it names.", {"kind": "exception"},
         "{type}: {message_head}"),
    # --- rules over the synthesized config (graders/config_rules.py) ------------------------------
    *config_catalogue_rules(),
    # --- rules in Rego over the plan JSON (graders/rego/<stem>.rego) ----------------------------
    Rule("rego.lambda_runtime", "rules", "Medium", "Lambda runtime deprecated",
         "The function is planned with a runtime AWS has deprecated; creating or updating it is "
         "blocked or soon will be.", "Use a supported runtime (e.g. python3.12).",
         {"kind": "rego", "policy": "lambda_runtime"}),
    *terraform_rules(),
    # --- AWS API and cross-resource deploy rules, comparison with the reference (deploy_catalogue.py)
    *deploy_catalogue_rules(),
    # --- checkov (severities from graders/checkov_severity.py) -----------------------------------
    *(Rule(f"checkov.{name}", "checkov", sev, f"checkov check failed ({sev})", f"checkov: {why}.",
           "See the checkov check's documentation.", {"kind": "checkov", "check_id": pattern},
           "{check_id} {address}: {check_name}")
      for name, sev, pattern, why in CHECKOV_SEVERITIES),
    # --- lint: named messages first (PYLINT_RULES), then per-category fallbacks ------------------
    Rule("lint.fatal", "lint", "High", "pylint could not analyse a file",
         "pylint failed on the file (often a syntax error).", "Fix the file so it parses.",
         {"kind": "pylint", "category": r"^fatal$"}, "{symbol}: {message}"),
    Rule("lint.error", "lint", "High", "pylint error",
         "pylint found a probable bug.", "Fix the reported error.",
         {"kind": "pylint", "category": r"^error$"}, "{symbol}: {message}"),
    Rule("lint.warning", "lint", "Medium", "pylint warning",
         "pylint found a likely problem.", "Address the warning.",
         {"kind": "pylint", "category": r"^warning$"}, "{symbol}: {message}"),
    Rule("lint.convention", "lint", "Low", "pylint convention or refactor message",
         "Style or structure outside the project's policy.", "Follow the lint policy.",
         {"kind": "pylint", "category": r"^(convention|refactor|info)$"}, "{symbol}: {message}"),
)



def rule_by_id(rule_id: str) -> Rule:
    for r in (*RULES, *PYLINT_RULES.values()):
        if r.id == rule_id:
            return r
    raise KeyError(rule_id)
