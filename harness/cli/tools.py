"""``harness toolchain``, ``harness image`` and ``harness clean``: what grading runs in (the pinned
toolchain venvs, the docker backend's image) and what a crashed run left behind."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .. import backends, terraform, toolchain
from ..image import DEFAULT_BASE, DEFAULT_TAG
from .common import console, err

tc_app = typer.Typer(help="The pinned CDKTF toolchain that graded code runs in (its own venv).",
                     no_args_is_help=True)
img_app = typer.Typer(help="The grading image of the docker backend (Docker SDK): build it, check it matches "
                           "this checkout.", no_args_is_help=True)


@tc_app.command("install")
def toolchain_install(force: Annotated[bool, typer.Option(help="Reinstall even if present.")] = False) -> None:
    """Install the pinned toolchain and the checkov venv (idempotent: a matching install is left alone)."""
    ok = True
    for prof in (toolchain.DEFAULT_PROFILE, toolchain.CHECKOV_PROFILE):
        with console.status(f"installing {prof.name}...") as status:
            def progress(message: str, name: str = prof.name, status: Any = status) -> None:
                status.update(f"{name}: {message}")
            st = toolchain.install(prof, progress=progress, force=force)
        _print_toolchain(st)
        ok = ok and st.ok
    if not ok:
        raise typer.Exit(1)


@tc_app.command("check")
def toolchain_check() -> None:
    """Say whether the toolchain (and checkov, and terraform) are usable (exit 1 if the toolchain is not)."""
    st = toolchain.check(toolchain.DEFAULT_PROFILE)
    _print_toolchain(st)
    _print_toolchain(toolchain.check(toolchain.CHECKOV_PROFILE))
    det = terraform.detect()
    console.print(f"terraform: {det.reason}" if det.terraform else
                  f"terraform: [yellow]{det.reason}[/] (validate falls back to the jsii schema; plan is skipped)")
    if det.terraform is not None:
        held = ", ".join(f"{p.split('/', 1)[1]} {', '.join(v)}" for p, v in sorted(det.terraform.providers.items()))
        console.print(f"provider mirror {det.terraform.mirror} holds: {held}; a stack needing any other provider "
                      "(random, archive, null, tls, kubernetes, ...) gets validate/plan infra-error naming it")
    if not st.ok:
        raise typer.Exit(1)


@img_app.command("build")
def image_build(
    tag: Annotated[str, typer.Option(help="Image name.")] = DEFAULT_TAG,
    base: Annotated[str, typer.Option(help="Base image: an official slim Python image, or the debootstrap base "
                                           "of scripts/base_image.sh (tapgrade-base:bookworm) where no registry "
                                           "is reachable.")] = DEFAULT_BASE,
    terraform_source: Annotated[str, typer.Option("--terraform", help="auto: copy this machine's terraform and "
                                                  "provider mirror when present, else download; context: copy "
                                                  "them (air-gapped); download: pinned releases from "
                                                  "releases.hashicorp.com.")] = "auto",
    no_cache: Annotated[bool, typer.Option(help="Rebuild every layer.")] = False,
) -> None:
    """Build the grading image (Dockerfile) with this checkout's source and toolchain pins."""
    from ..image import ImageError, build  # noqa: PLC0415

    try:
        with console.status("building...") as status:
            res = build(tag, base, terraform_source, progress=lambda line: status.update(line[:110]),
                        no_cache=no_cache)
    except ImageError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    console.print(f"built {res.tag} ({res.image_id[:19]}) from {res.base}, terraform from {res.terraform_source}: "
                  f"{res.size_bytes / 1e9:.2f} GB in {res.seconds:.0f} s")


@img_app.command("check")
def image_check_cmd(tag: Annotated[str, typer.Option(help="Image name.")] = DEFAULT_TAG) -> None:
    """Say whether the image exists and was built from this checkout's source and pins (exit 1 if not)."""
    from ..image import check  # noqa: PLC0415

    st = check(tag)
    if st.ok:
        console.print(f"{tag}: [green]ok[/] ({st.size_bytes / 1e9:.2f} GB; source {st.labels['tapgrade.source'][:12]}, "
                      f"toolchain {st.labels['tapgrade.toolchain'][:12]})")
        return
    console.print(f"{tag}: [red]not usable[/]")
    for p in st.problems:
        console.print(f"  [red]{p}[/]")
    raise typer.Exit(1)


def clean(all_runs: Annotated[bool, typer.Option("--all", help="Also containers of runs still going.")] = False
          ) -> None:
    """Remove what runs whose harness is gone (a crash, a SIGKILL) left behind: grading containers."""
    removed, failed = [], False
    for name in backends.names():
        try:
            removed += backends.get(name).leftovers(all_runs)
        except backends.BackendUnavailable as exc:
            err.print(f"[red]{name}: {exc}[/]")
            failed = True
    console.print(f"removed {len(removed)} container(s)" + (": " + ", ".join(removed) if removed else ""))
    if failed:
        raise typer.Exit(1)


def _print_toolchain(st: toolchain.ToolchainStatus) -> None:
    console.print(f"{st.home.name} at {st.home}: " + ("[green]ok[/]" if st.ok else "[red]not usable[/]"))
    for name, ver in (st.versions.get("packages") or {}).items():
        console.print(f"  {name} {ver}")
    if st.versions.get("node"):
        console.print(f"  node {st.versions['node']}")
    for p in st.problems:
        console.print(f"  [red]{p}[/]")
