"""What goes into the Lambda image: a pinned base, the handler named by CMD, the files the
Dockerfile copies (and .dockerignore lets through), and a lock that covers setup.py."""

from __future__ import annotations

import ast
import inspect
import json
import re
from pathlib import Path

from packaging.requirements import Requirement

from pizza_game import runner

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "deploy" / "Dockerfile"
HANDLER = REPO / "deploy" / "lambda_handler.py"
LOCK = REPO / "deploy" / "requirements.lock"
# A dated release tag of the AWS Lambda Python 3.12 base image, optionally pinned by digest too.
BASE = re.compile(
    r"public\.ecr\.aws/lambda/python:3\.12\.\d{4}\.\d{2}\.\d{2}\.\d{2}(@sha256:[0-9a-f]{64})?"
)


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\s*\\\n\s*", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_both_stages_start_from_the_same_dated_base_image() -> None:
    bases = [args.split()[0] for name, args in instructions() if name == "FROM"]
    assert len(bases) == 2
    assert len(set(bases)) == 1
    assert BASE.fullmatch(bases[0]), bases[0]


def test_cmd_names_the_handler_function_as_json() -> None:
    [cmd] = [args for name, args in instructions() if name == "CMD"]
    assert json.loads(cmd) == ["lambda_handler.handler"]
    module = ast.parse(HANDLER.read_text())
    [handler] = [
        node for node in module.body if isinstance(node, ast.FunctionDef) and node.name == "handler"
    ]
    assert [arg.arg for arg in handler.args.args] == ["event", "context"]


def dockerignore_allows(path: str) -> bool:
    """Whether the repository's allow-list .dockerignore ("*" then "!path") lets ``path`` in."""
    lines = (REPO / ".dockerignore").read_text().splitlines()
    rules = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert rules[0] == "*", ".dockerignore must start by excluding everything"
    allowed = [rule[1:].rstrip("/") for rule in rules if rule.startswith("!")]
    return any(path == rule or path.startswith(rule + "/") for rule in allowed)


def test_every_copied_file_exists_and_is_in_the_build_context() -> None:
    copies = [args.split() for name, args in instructions() if name == "COPY"]
    sources = [src for args in copies if not args[0].startswith("--from") for src in args[:-1]]
    assert {"deploy/requirements.lock", "pizza_game", "deploy/lambda_handler.py"} <= set(sources)
    for source in sources:
        assert (REPO / source).exists(), source
        assert dockerignore_allows(source), f"{source} is excluded by .dockerignore"


def test_handler_needs_only_pizza_game_modules_the_image_contains() -> None:
    module = ast.parse(HANDLER.read_text())
    imported = {
        node.module
        for node in ast.walk(module)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pizza_game")
    }
    assert imported
    for name in imported:
        path = REPO / Path(*name.split("."))
        assert path.with_suffix(".py").is_file() or (path / "__init__.py").is_file(), name


def test_handler_calls_run_pipeline_with_arguments_it_accepts() -> None:
    module = ast.parse(HANDLER.read_text())
    [call] = [
        node
        for node in ast.walk(module)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "run_pipeline"
    ]
    parameters = inspect.signature(runner.run_pipeline).parameters
    keyword_only = {n for n, p in parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert len(call.args) == 2
    assert {keyword.arg for keyword in call.keywords} <= keyword_only


def locked() -> dict[str, str]:
    """{package: version} of deploy/requirements.lock; every entry must carry a sha256."""
    entries = re.sub(r"\s*\\\n\s*", " ", LOCK.read_text()).splitlines()
    pins: dict[str, str] = {}
    for entry in entries:
        if not entry or entry.startswith("#"):
            continue
        match = re.fullmatch(r"([a-z0-9._-]+)==(\S+) --hash=sha256:[0-9a-f]{64}", entry)
        assert match, f"not a hashed pin: {entry}"
        assert match.group(1) not in pins, f"pinned twice: {match.group(1)}"
        pins[match.group(1)] = match.group(2)
    return pins


def install_requires() -> list[Requirement]:
    """setup.py's install_requires, read from its source (it is a literal list)."""
    tree = ast.parse((REPO / "setup.py").read_text())
    [value] = [
        keyword.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for keyword in node.keywords
        if keyword.arg == "install_requires"
    ]
    return [Requirement(item) for item in ast.literal_eval(value)]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_lock_pins_every_runtime_requirement_of_setup_py() -> None:
    pins = {canonical(name): version for name, version in locked().items()}
    for requirement in install_requires():
        name = canonical(requirement.name)
        assert name in pins, f"{name} is not in {LOCK.name}: run deploy/scripts/lock.sh"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{name}=={pins[name]} does not satisfy setup.py's {requirement}: "
            "run deploy/scripts/lock.sh"
        )


# The Dagster UI, dg and what only they need (dagster-webserver's and dagster-dg-cli's own
# dependency trees, dagster's removed): the runtime image must carry none of them.
UI_ONLY = {
    "dagster-webserver", "dagster-graphql", "starlette", "uvicorn", "uvloop", "httptools",
    "watchfiles", "websockets", "h11", "anyio", "gql", "graphene", "graphql-core",
    "graphql-relay", "backoff", "requests-toolbelt", "yarl", "multidict", "propcache",
    "dagster-dg-cli", "dagster-dg-core", "dagster-cloud-cli", "dagster-rest-resources",
}  # fmt: skip


def test_the_webserver_is_an_extra_and_stays_out_of_the_lock() -> None:
    tree = ast.parse((REPO / "setup.py").read_text())
    [ui] = [
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["UI"]
    ]
    assert [Requirement(item).name for item in ui] == ["dagster-webserver", "dagster-dg-cli"]
    assert not {"dagster-webserver", "dagster-dg-cli"} & {canonical(r.name) for r in install_requires()}
    assert not UI_ONLY & set(locked()), sorted(UI_ONLY & set(locked()))
