"""`evalledger --help`, `--version` and every group's `--help` import only the command tree.

Start-up time is dominated by imports (SQLAlchemy, FastAPI, Alembic, pydantic: 1.5 s and more
on a loaded machine), so the property asserted here is structural: after the command ran, none
of the heavy libraries is in ``sys.modules``. No timing assertion (the figures are in
docs/benchmarks.md, "CLI start-up").
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Libraries only a command that talks to a database or serves HTTP needs. (pydantic is not
#: in the list: Typer itself imports it to coerce a sub-command's parameters; the root's
#: ``--help`` and ``--version`` are checked without it below.)
HEAVY = (
    "sqlalchemy",
    "alembic",
    "asyncpg",
    "aiosqlite",
    "fastapi",
    "starlette",
    "uvicorn",
    "pydantic_settings",
    "httpx",
    "structlog",
    "prometheus_client",
    "ijson",
    "jinja2",
)

_PROBE = """
import json, sys
from evalledger.cli.main import app
try:
    app(sys.argv[1:], prog_name="evalledger")
except SystemExit as exc:
    code = exc.code
else:
    code = 0
roots = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"code": code, "modules": roots}), file=sys.stderr)
"""


def _modules_after(*args: str) -> tuple[int, set[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=120
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], set(report["modules"]), done.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["-h"],
        ["--version"],
        ["agents", "--help"],
        ["events", "list", "--help"],
        ["events", "list", "-h"],
        ["backup", "create", "-h"],
        ["assessments", "import", "--help"],
        ["db", "--help"],
        ["keys", "list", "--help"],
        ["health", "--help"],
        ["serve", "--help"],
        ["demo", "--help"],
    ],
)
def test_help_and_version_import_no_heavy_library(args: list[str]) -> None:
    code, modules, out = _modules_after(*args)
    assert code == 0, out
    assert out.strip(), "the command printed nothing"
    loaded = sorted(set(HEAVY) & modules)
    assert loaded == [], f"`evalledger {' '.join(args)}` imported {loaded}"


@pytest.mark.parametrize("args", [["--help"], ["--version"]])
def test_root_help_and_version_do_not_even_import_pydantic(args: list[str]) -> None:
    code, modules, _ = _modules_after(*args)
    assert code == 0 and "pydantic" not in modules


def test_root_help_still_lists_every_command() -> None:
    code, _, out = _modules_after("--help")
    assert code == 0
    for name in (
        "init",
        "serve",
        "db",
        "keys",
        "projects",
        "agents",
        "events",
        "leaderboard",
        "assessments",
        "verify",
        "stats",
        "claims",
        "consensus",
        "checkpoints",
        "backup",
        "health",
        "report",
        "demo",
    ):
        assert f" {name} " in out, f"{name} missing from --help:\n{out}"


def test_health_accepts_monitor_as_the_brahminykite_script_did() -> None:
    from typer.testing import CliRunner

    from evalledger.cli.main import app

    result = CliRunner().invoke(app, ["health", "-h"])
    assert result.exit_code == 0
    assert "--watch, --monitor" in result.output


def test_constants_written_out_for_a_light_help_match_their_sources() -> None:
    from evalledger.assessments import cli as assessments_cli
    from evalledger.assessments import importer
    from evalledger.demo import cli as demo_cli
    from evalledger.demo import generator

    assert assessments_cli.DEFAULT_BATCH_SIZE == importer.DEFAULT_BATCH_SIZE
    assert set(demo_cli.SIZES) == set(generator.PLANS)


def test_the_root_lists_exactly_the_commands_the_modules_register() -> None:
    """COMMANDS (read by `evalledger --help` without importing anything) against what the
    modules' ``register(root)`` define: same names, same module, same help line."""
    import importlib

    import typer

    from evalledger.cli.main import COMMANDS
    from evalledger.domains import domain_modules

    modules = [
        *(importlib.import_module(f"evalledger.cli.{m}") for m in ("db", "keys", "serve")),
        *domain_modules("cli"),
    ]
    defined: dict[str, tuple[str, str]] = {}
    for module in modules:
        scratch = typer.Typer()
        module.register(scratch)
        for name, command in typer.main.get_group(scratch).commands.items():
            first = " ".join((command.help or "").split("\n\n")[0].split())
            defined[name] = (module.__name__, first)
    listed = {name: (c.module, c.help) for name, c in COMMANDS.items()}
    assert listed == defined, "update COMMANDS in src/evalledger/cli/main.py"


def test_an_unknown_command_is_still_refused_with_exit_2() -> None:
    from typer.testing import CliRunner

    from evalledger.cli.main import app

    result = CliRunner().invoke(app, ["nope"])
    assert result.exit_code == 2 and "No such command 'nope'" in result.output
