# Plan-level policy, IaC-Eval style: evaluated by regopy against `terraform show -json` output.
# A rule file declares `deny` as a set of objects {address, message}; its catalogue entry is
# `rego.<file stem>` (graders/catalogue.py). This one: Lambda functions must not be planned
# with a runtime AWS has deprecated (creation is blocked, or updates soon will be).
package tapgrade.lambda_runtime

import rego.v1

deprecated := {
	"python2.7", "python3.6", "python3.7", "python3.8",
	"nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x", "nodejs16.x",
	"java8", "dotnetcore2.1", "dotnetcore3.1", "dotnet6", "ruby2.5", "ruby2.7", "go1.x", "provided",
}

deny contains finding if {
	some rc in input.resource_changes
	rc.type == "aws_lambda_function"
	some action in rc.change.actions
	action in {"create", "update"}
	runtime := rc.change.after.runtime
	runtime in deprecated
	finding := {"address": rc.address, "message": sprintf("%s uses deprecated runtime %s", [rc.address, runtime])}
}
