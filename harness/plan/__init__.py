"""The stages after synth: validate, plan, rules, checkov and (opt-in) deploy.

They read the synthesized Terraform JSON, which is data: nothing here imports or runs the
response's Python. Terraform, the emulator and checkov run as child processes of the slot (in
their own sessions, with time limits). Which synthesized stack they judge is the one the config
rules always judged: the response as written, or failing that the last repaired copy (then the
findings depend on the repairs).

``PlanTools`` holds a slot's long-lived helpers (an initialized Terraform data directory per
provider set, a moto server, a warm checkov process), started on first use and closed with the
slot, so no variant pays their start-up again.

Modules, in the order a stack meets them: ``tools`` (the slot's helpers), ``stack`` (one
synthesized stack, its findings, the stage logs), ``diagnostics`` (terraform's diagnostics as
signals), ``plan_call`` (a plan against the emulator; validate read off it), ``terraform_stage``
(validate, plan, deploy of a stack), ``checks`` (rules and checkov) and ``outcomes`` (a
variant's outcomes of all of them).
"""

from __future__ import annotations

from .outcomes import post_synth_outcomes
from .stack import StackRun
from .terraform_stage import run_terraform
from .tools import PlanTools

__all__ = ["PlanTools", "StackRun", "post_synth_outcomes", "run_terraform"]
