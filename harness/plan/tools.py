"""A slot's long-lived plan helpers, started on first use and closed with the slot.

``PlanTools`` holds an initialized Terraform data directory per provider set, a moto server, a
warm checkov process and a warm AWS provider process, so no variant pays their start-up again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import schema_check, terraform
from ..checkov_runner import CheckovRunner
from ..options import PlanOptions
from ..toolchain import Profile
from .emulator import EmulatorError, MotoServer


def tf_env(data: Path | None, env: dict[str, str], emulator: MotoServer | None) -> dict[str, str]:
    """Terraform's environment for a stack: mock AWS credentials in the variant's region, the
    instance metadata service off, and the emulator's endpoint when there is one."""
    extra = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
             "AWS_DEFAULT_REGION": env.get("AWS_REGION", "us-east-1"), "AWS_EC2_METADATA_DISABLED": "true"}
    if emulator is not None:
        extra["AWS_ENDPOINT_URL"] = emulator.url
    return terraform.base_env(data, extra)


@dataclass
class PlanTools:
    """A slot's Terraform directory, emulator and checkov process."""

    root: Path
    profile: Profile
    opts: PlanOptions = field(default_factory=PlanOptions)
    _tfdir: terraform.TfDir | None = None
    _moto: MotoServer | None = None
    _checkov: CheckovRunner | None = None
    _schema: dict | None = None
    _provider: terraform.ProviderServer | None = None
    # The run's one checkov process when slots share it (local backend, warm): importing checkov
    # costs a process ~4 s and a warm scan ~0.05 s, so one per run suffices. Its owner closes it.
    shared_checkov: CheckovRunner | None = None
    shared_inits: terraform.Inits | None = None  # the run's terraform data dirs (warm, local backend)

    def __post_init__(self) -> None:
        if self.opts.terraform is None:
            self.opts.terraform = terraform.detect()

    @property
    def tf(self) -> terraform.Terraform | None:
        assert self.opts.terraform is not None
        return self.opts.terraform.terraform

    def tfdir(self) -> terraform.TfDir:
        assert self.tf is not None
        if self._tfdir is None:
            self._tfdir = terraform.TfDir(self.tf, self.root / "terraform", self.shared_inits)
        return self._tfdir

    def moto(self) -> MotoServer:
        if self._moto is None:
            self._moto = MotoServer(self.root / "moto.log")
        self._moto.ensure()
        return self._moto

    def checkov(self) -> CheckovRunner:
        if self.shared_checkov is not None:
            return self.shared_checkov
        if self._checkov is None:
            self._checkov = CheckovRunner(self.root / "checkov.log")
        return self._checkov

    def schema(self) -> dict:
        if self._schema is None:
            self._schema = schema_check.load_schema(self.profile)
        return self._schema

    def sdk_env(self, region: str) -> dict[str, str]:
        """Where the response's own AWS SDK calls at synth time go: this slot's emulator, with a
        ``default`` profile of mock credentials (some stacks open ``boto3.Session(profile_name=
        "default")`` to look things up or create their state bucket while synthesizing, as the
        reference pipeline let them against real AWS). Whatever an earlier variant's code wrote
        there is reset first. {} when the emulator cannot start (the calls then fail offline)."""
        try:
            moto = self.moto()
            moto.reset_if_dirty()
        except (EmulatorError, OSError):
            return {}
        aws = self.root / "aws"
        if not (aws / "credentials").is_file():
            aws.mkdir(parents=True, exist_ok=True)
            (aws / "config").write_text("[default]\noutput = json\n", encoding="utf-8")
            (aws / "credentials").write_text("[default]\naws_access_key_id = testing\n"
                                             "aws_secret_access_key = testing\n", encoding="utf-8")
        return {"AWS_ENDPOINT_URL": moto.url, "AWS_CONFIG_FILE": str(aws / "config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(aws / "credentials")}

    def sdk_used(self) -> None:
        """The response's code loaded the AWS SDK: it may have written to the emulator."""
        if self._moto is not None:
            self._moto.dirty = True

    def provider(self) -> terraform.ProviderServer:
        assert self.tf is not None
        if self._provider is None:
            self._provider = terraform.ProviderServer(self.tf, self.root / "provider.log")
        return self._provider

    def reattach_env(self, config: dict, env: dict[str, str]) -> dict[str, str]:
        """``TF_REATTACH_PROVIDERS`` for one stack's validate/plan/show, or {} (terraform starts its own)."""
        if not (self.opts.reattach and terraform.reattachable(config)):
            return {}
        try:
            return self.provider().env_for(tf_env(None, env, self.moto()))
        except (EmulatorError, OSError):
            return {}

    def close(self) -> None:
        if self._provider is not None:
            self._provider.stop()
        if self._moto is not None:
            self._moto.stop()
        if self._checkov is not None:
            self._checkov.close()

    def forget(self) -> None:
        """Benchmark baseline (``--cold``): the next variant starts every helper afresh, as a
        pipeline that runs ``terraform init``, a new emulator and the checkov CLI per pull
        request would."""
        self.close()
        self._tfdir = None
