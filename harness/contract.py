"""The task's contract: which entry point a response is run through, and what it passes the stack.

A response is judged through the entry point the task itself runs, never the response's own and
not a fixed template's: a template ``tap.py`` passing five parameters turns a task whose entry
passes only ``environment_suffix`` into false ``contract`` / ``backend-s3`` / ``default-tags``
findings. Which entry runs is decided here, in one place, first match wins:

1. ``task``: the bundle's own ``tap.py`` (harness layout);
2. ``reference``: the file the reference's ``cdktf.json`` ``"app"`` names (``pipenv run`` and
   ``python``/``python3`` stripped: ``tap.py``, ``bin/main.py``, ...); when that file is missing
   the reference's ``tap.py``;
3. ``ideal``: the IDEAL_RESPONSE's file at the path the task's ``cdktf.json`` names, else its
   ``tap.py`` (archive layout, where the IDEAL usually states the task's entry);
4. ``template``: the harness's ``tap.py``.

The entry's call of the stack class (keyword arguments, the types of their values, and the
values that can be read statically, given the variant's environment) is parsed by
``entry_call.py`` and attached to the entry here: it is what the contract rules judge a stack
against (``graders/config_rules.py``) and what the variant record keeps. Pure parsing: nothing
here runs an entry point.
"""

from __future__ import annotations

import ast
import json
import shlex
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .bundles import Task
from .entry_call import StackCall, stack_call
from .entry_call import passed_values as passed_values  # the contract's API: harness/plan, tests
from .extract import extract

TEMPLATE_ENTRY = "tap.py"
_LAUNCHERS = {"pipenv", "run", "poetry", "uv", "env", "exec"}


def template_text(name: str) -> str:
    return resources.files("harness.workspace_template").joinpath(name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Entry:
    source: str
    origin: str  # "task" | "reference" | "ideal" | "template"
    path: str = TEMPLATE_ENTRY  # where it sits in the workspace (what ``python <path>`` runs)
    app: str | None = None  # the cdktf.json "app" it was read from
    note: str = ""  # why a fallback was taken
    call: StackCall | None = field(default=None, compare=False)

    @property
    def stack_modules(self) -> list[str]:
        """The ``lib.*`` modules the entry imports: what the import stage loads."""
        return entry_stack_modules(self.source)

    def record(self) -> dict:
        """What the variant record keeps of the contract."""
        return {"origin": self.origin, "path": self.path, "app": self.app, "note": self.note,
                "call": self.call.as_record() if self.call else None}


def entry_stack_modules(source: str) -> list[str]:
    """The ``lib.*`` modules the entry imports, in the order it first imports them."""
    return list(entry_stack_names(source))


def entry_stack_names(source: str) -> dict[str, list[str]]:
    """The names the entry imports from each ``lib.*`` module (``lib.tap_stack`` -> ``TapStack``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    out: dict[str, list[str]] = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom) and n.module and n.level == 0 and (n.module == "lib" or n.module.startswith("lib.")):
            out.setdefault(n.module, []).extend(a.name for a in n.names if a.name != "*")
    return out


def lacks_names(module_text: str, names: list[str]) -> list[str]:
    """Of ``names``, those a module never binds at its top level (a class, function, assignment or
    import of that name); none when it cannot tell (it does not parse, or binds names dynamically)."""
    try:
        tree = ast.parse(module_text)
    except SyntaxError:
        return []
    bound: set[str] = set()
    for n in tree.body:
        if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            bound.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            if any(a.name == "*" for a in n.names):
                return []
            bound.update((a.asname or a.name).split(".")[0] for a in n.names)
        elif isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            bound.update(t.id for tg in targets for t in ast.walk(tg) if isinstance(t, ast.Name))
        elif isinstance(n, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            return []  # names bound under a condition: not judged here
    return [] if "__getattr__" in bound else [x for x in names if x not in bound]


def app_script(app: str) -> str | None:
    """The Python file a cdktf.json ``"app"`` command runs (``pipenv run python3 bin/tap.py`` ->
    ``bin/tap.py``), or None when it runs no ``.py`` file."""
    try:
        words = shlex.split(app)
    except ValueError:
        words = app.split()
    for w in words:
        if w in _LAUNCHERS or w.startswith("-") or w.split("/")[-1].startswith("python"):
            continue
        return w.removeprefix("./") if w.endswith(".py") else None
    return None


def _cdktf_app(path: Path) -> str | None:
    try:
        return _json_app(path.read_text(encoding="utf-8"))
    except OSError:
        return None


def _from_reference(task: Task) -> Entry | None:
    ref = task.reference_dir
    if ref is None:
        return None
    app = _cdktf_app(ref / "cdktf.json")
    script = app_script(app) if app else None
    if script and (ref / script).is_file():
        return _entry(ref / script, "reference", script, app)
    if (ref / TEMPLATE_ENTRY).is_file():
        note = f"cdktf.json app {app!r} names {script}, which the reference lacks" if script else ""
        return _entry(ref / TEMPLATE_ENTRY, "reference", TEMPLATE_ENTRY, app, note)
    return None


def _from_ideal(task: Task) -> Entry | None:
    if task.layout != "archive" or "ideal" not in task.responses:
        return None
    files = extract(task.responses["ideal"].read_text(encoding="utf-8")).files
    app = _cdktf_app(task.root / "cdktf.json")
    script = app_script(app) if app else None
    for path in dict.fromkeys(p for p in (script, TEMPLATE_ENTRY) if p):
        f = files.get(path)
        if f is not None and entry_stack_modules(f.text):
            return Entry(f.text, "ideal", path, app if path == script else None, call=stack_call(f.text))
    return None


def _entry(file: Path, origin: str, path: str, app: str | None = None, note: str = "") -> Entry:
    source = file.read_text(encoding="utf-8")
    return Entry(source, origin, path, app, note, stack_call(source))


def choose_entry(task: Task) -> Entry:
    if task.tap_py is not None:
        return _entry(task.tap_py, "task", TEMPLATE_ENTRY)
    found = _from_reference(task) or _from_ideal(task)
    if found is not None:
        return found
    source = template_text(TEMPLATE_ENTRY)
    return Entry(source, "template", TEMPLATE_ENTRY, call=stack_call(source))


# ---------------------------------------------------------------- the response's own app

_APP_PREFERENCE = ("tap.py", "main.py", "app.py", "bin/tap.py", "bin/main.py", "bin/app.py", "lib/main.py", "lib/app.py")


def response_entry(files: dict[str, str]) -> str | None:
    """The response's own app file, for a response whose modules do not fit the task's entry: the
    file its own cdktf.json names, else a file that builds ``App()`` and calls ``.synth()``
    (``tap.py``, ``main.py``, ``bin/...`` first). Grading runs it only as a repair
    (``adopt-response-entry``), so the later stages can still judge the response's configuration."""
    def builds_app(text: str) -> bool:
        return "App(" in text and ".synth()" in text

    own = app_script(_json_app(files.get("cdktf.json", "")) or "")
    if own and own in files and builds_app(files[own]):
        return own
    apps = [p for p, t in files.items() if p.endswith(".py") and builds_app(t)]
    ranked = sorted(apps, key=lambda p: (_APP_PREFERENCE.index(p) if p in _APP_PREFERENCE else len(_APP_PREFERENCE),
                                         p.count("/"), p))
    return ranked[0] if ranked else None


def _json_app(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    app = data.get("app") if isinstance(data, dict) else None
    return app if isinstance(app, str) else None
