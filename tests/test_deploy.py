"""deploy/: the Dockerfile, docker-compose.yml and the Kubernetes manifests, checked without a
Docker engine or a cluster.

Every YAML file parses; the compose file validates against the Compose Specification schema
(vendored by check-jsonschema) and the Kubernetes manifests against the Kubernetes OpenAPI
schemas in strict mode, for the oldest and newest versions kubernetes-validate ships. The
Dockerfile is parsed instruction by instruction. Every command the files run is resolved the way
the program itself would (gunicorn's argument parser and app loader, Celery's `-A` loader and
its click commands, the `dosewise` console script's click commands, `python -c` compiled), and
every file, route, port and setting they name exists.
"""

from __future__ import annotations

import ast
import importlib
import importlib.resources
import importlib.util
import json
import multiprocessing
import os
import re
import runpy
import shlex
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import click
import jsonschema
import kubernetes_validate
import pytest
import yaml
from celery.app.utils import find_app
from celery.bin.celery import celery as celery_cli
from celery.worker.control import Panel
from click.testing import CliRunner
from gunicorn.config import Config as GunicornConfig
from gunicorn.util import import_app
from kubernetes_validate.utils import latest_version

from service.settings import defaults

from .conftest import TEST_TMP

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
GUNICORN_CONF = DEPLOY / "gunicorn.conf.py"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

OUR_IMAGE = "dosewise"  # the image name the Kubernetes manifests use; kustomize retags it
K8S_VERSIONS = ["1.25", latest_version()]  # autoscaling/v2 and policy/v1 need 1.23+
CONFIGMAP_MAX_BYTES = 1024 * 1024
# Programs of the base image (python:3.11-slim) that the files may run besides the package's.
BASE_IMAGE_PROGRAMS = {"sh", "sleep"}
SHELL_OPERATORS = {"&&", "||", ";", "|", "&", ">", "<", ">>"}
# Environment variables read by something other than the app factory's DOSEWISE_* prefix.
STANDARD_ENV = {
    "PATH",
    "PYTHONUNBUFFERED",
    "PYTHONDONTWRITEBYTECODE",
    "PIP_NO_CACHE_DIR",
    "PIP_DISABLE_PIP_VERSION_CHECK",
    "XDG_RUNTIME_DIR",
    "REDIS_URL",
}


# ------------------------------------------------------------------------------ Dockerfile
DOCKERFILE_INSTRUCTIONS = {
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
}


@dataclass(frozen=True)
class Instruction:
    line: int
    keyword: str
    args: str


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for instruction in self.all("ENV"):
            words = shlex.split(instruction.args)
            if "=" not in words[0]:  # legacy form: ENV NAME value
                out[words[0]] = " ".join(words[1:])
                continue
            for word in words:
                name, sep, value = word.partition("=")
                assert sep, f"Dockerfile:{instruction.line}: ENV word {word!r} without '='"
                out[name] = value
        return out

    def workdir(self) -> PurePosixPath:
        workdir = PurePosixPath("/")
        for instruction in self.all("WORKDIR"):
            workdir = workdir / instruction.args
        return workdir


def parse_dockerfile(text: str) -> list[Instruction]:
    """One Instruction per instruction: comments dropped, continuation lines joined."""
    instructions: list[Instruction] = []
    start, parts = 0, []
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue  # inside a continuation too, as Docker does
        if not parts:
            start = number
        if stripped.endswith("\\"):
            parts.append(stripped[:-1].strip())
            continue
        parts.append(stripped)
        keyword, _, args = " ".join(parts).partition(" ")
        instructions.append(Instruction(start, keyword.upper(), args.strip()))
        parts = []
    assert not parts, f"Dockerfile:{start}: the last instruction ends in a continuation"
    return instructions


def dockerfile_stages(instructions: list[Instruction]) -> list[Stage]:
    stages: list[Stage] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            words = instruction.args.split()
            words = [w for w in words if not w.startswith("--platform")]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            assert len(words) in (1, 3), f"Dockerfile:{instruction.line}: bad FROM"
            stages.append(Stage(words[0], name))
        else:
            assert stages, f"Dockerfile:{instruction.line}: {instruction.keyword} before FROM"
            stages[-1].instructions.append(instruction)
    return stages


def command_form(args: str) -> list[str]:
    """CMD/ENTRYPOINT/HEALTHCHECK CMD arguments: the exec form (JSON) or the shell form."""
    if args.lstrip().startswith("["):
        argv = json.loads(args)
        assert isinstance(argv, list) and all(isinstance(a, str) for a in argv), args
        return argv
    return ["/bin/sh", "-c", args]


@dataclass(frozen=True)
class Copy:
    line: int
    sources: list[str]
    dest: str
    from_stage: str | None


def copies(stage: Stage) -> list[Copy]:
    out = []
    for instruction in stage.all("COPY") + stage.all("ADD"):
        words = (
            json.loads(instruction.args)
            if instruction.args.startswith("[")
            else shlex.split(instruction.args)
        )
        flags = {}
        while words and words[0].startswith("--"):
            name, _, value = words.pop(0)[2:].partition("=")
            flags[name] = value
        assert len(words) >= 2, f"Dockerfile:{instruction.line}: COPY needs a source and a dest"
        out.append(Copy(instruction.line, words[:-1], words[-1], flags.get("from")))
    return out


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    instructions = parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))
    unknown = [i for i in instructions if i.keyword not in DOCKERFILE_INSTRUCTIONS]
    assert not unknown, f"unknown Dockerfile instructions: {unknown}"
    return dockerfile_stages(instructions)


@pytest.fixture(scope="module")
def runtime(stages: list[Stage]) -> Stage:
    return stages[-1]


class Image:
    """What the final image holds: files copied from the build context, and its settings."""

    def __init__(self, stage: Stage) -> None:
        self.stage = stage
        self.workdir = stage.workdir()
        self.env = stage.env()
        self.files: list[tuple[PurePosixPath, Path]] = []  # (path in image, path in repo)
        for copy in copies(stage):
            if copy.from_stage is not None:
                continue
            dest = self.workdir / copy.dest
            for source in copy.sources:
                repo = ROOT / source
                if repo.is_file() and copy.dest.endswith("/"):
                    self.files.append((dest / repo.name, repo))
                else:
                    self.files.append((dest, repo))

    def resolve(self, path: str) -> Path | None:
        """The repository file or folder behind a path in the image, if it was copied there."""
        target = self.workdir / path
        for image_path, repo in self.files:
            if target == image_path:
                return repo
            if image_path in target.parents:
                return repo / target.relative_to(image_path)
        return None

    def has(self, path: str) -> bool:
        found = self.resolve(path)
        return found is not None and found.exists()

    def default_command(self) -> list[str]:
        entrypoint = self.stage.last("ENTRYPOINT")
        cmd = self.stage.last("CMD")
        assert entrypoint is None, "the image has no ENTRYPOINT: commands replace CMD whole"
        assert cmd is not None, "the image needs a default CMD"
        return command_form(cmd.args)

    def exposed_ports(self) -> set[int]:
        ports = set()
        for instruction in self.stage.all("EXPOSE"):
            for word in instruction.args.split():
                ports.add(int(word.split("/")[0]))
        return ports


@pytest.fixture(scope="module")
def image(runtime: Stage) -> Image:
    return Image(runtime)


# ------------------------------------------------------------------------------ YAML files
def yaml_files() -> list[Path]:
    return sorted([*DEPLOY.glob("*.y*ml"), *K8S.glob("*.y*ml")])


def load_all(path: Path) -> list[Any]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def kustomization() -> dict:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifests(kustomization: dict) -> list[tuple[str, dict]]:
    """(file, document) for every resource the kustomization lists."""
    return [(name, doc) for name in kustomization["resources"] for doc in load_all(K8S / name)]


def of_kind(manifests: list[tuple[str, dict]], kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for _, doc in manifests if doc["kind"] == kind}


@pytest.fixture(scope="module")
def deployments(manifests: list[tuple[str, dict]]) -> dict[str, dict]:
    found = of_kind(manifests, "Deployment")
    assert set(found) == {"dosewise-web", "dosewise-worker", "dosewise-beat"}
    return found


def pod_spec(deployment: dict) -> dict:
    return deployment["spec"]["template"]["spec"]


PROXY = "proxy"  # the nginx container in front of gunicorn in web pods
PROXY_IMAGE = "nginxinc/nginx-unprivileged"
NGINX_TEMPLATE = DEPLOY / "nginx" / "dosewise.conf.template"


def main_container(deployment: dict) -> dict:
    containers = [c for c in pod_spec(deployment)["containers"] if c["name"] != PROXY]
    assert len(containers) == 1, deployment["metadata"]["name"]
    return containers[0]


def all_containers(deployment: dict) -> list[dict]:
    """The containers that run our image (the nginx proxy has its own test)."""
    spec = pod_spec(deployment)
    return [c for c in [*spec.get("initContainers", []), *spec["containers"]] if c["name"] != PROXY]


def container_env(container: dict) -> dict[str, Any]:
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}


@pytest.fixture(scope="module")
def flask_app():
    from service.api.app import create_app

    return create_app({"TESTING": True, "REDIS_URL": None, "RELOAD_INTERVAL": 0})


@pytest.fixture(scope="module")
def get_routes(flask_app) -> set[str]:
    return {rule.rule for rule in flask_app.url_map.iter_rules() if "GET" in rule.methods}


# ------------------------------------------------------------------------------ commands
def check_command(argv: list[str], where: str, image: Image) -> None:
    """Fail unless argv runs a program of the image with arguments that program accepts."""
    assert argv, f"{where}: empty command"
    program = PurePosixPath(argv[0]).name
    if program == "sh":
        assert argv[1:2] == ["-c"] and len(argv) == 3, f"{where}: sh without one -c script"
        words = shlex.split(argv[2])
        assert not SHELL_OPERATORS & set(words), f"{where}: one command per shell, please"
        if words and words[0] == "exec":
            words = words[1:]
        check_command(words, where, image)
        return
    checkers = {
        "gunicorn": check_gunicorn,
        "celery": check_celery,
        "python": check_python,
        "python3": check_python,
    }
    scripts = PYPROJECT["project"]["scripts"]
    if program in checkers:
        checkers[program](argv[1:], where, image)
    elif program in scripts:
        check_console_script(program, argv[1:], where)
    else:
        assert program in BASE_IMAGE_PROGRAMS, f"{where}: {argv[0]} is not in the image"


def check_gunicorn(args: list[str], where: str, image: Image) -> None:
    try:
        parsed = GunicornConfig().parser().parse_args(args)
    except SystemExit:
        pytest.fail(f"{where}: gunicorn refuses the arguments {args}")
    assert parsed.config, f"{where}: gunicorn without -c deploy/gunicorn.conf.py"
    config = parsed.config.removeprefix("python:")
    assert image.has(config), f"{where}: the image has no {config}"
    assert image.resolve(config) == GUNICORN_CONF
    assert len(parsed.args) == 1, f"{where}: gunicorn needs one APP_MODULE"
    module_name, _, attribute = parsed.args[0].partition(":")
    module = importlib.import_module(module_name)
    assert hasattr(module, attribute or "application"), f"{where}: {parsed.args[0]} not found"
    assert callable(import_app(parsed.args[0])), f"{where}: {parsed.args[0]} is not a WSGI app"


def check_celery(args: list[str], where: str, image: Image) -> None:
    assert args[:1] in (["-A"], ["--app"]), f"{where}: celery without -A MODULE first"
    module_name = args[1]
    module = importlib.import_module(module_name)
    assert hasattr(module, "celery_app"), f"{where}: {module_name} has no celery_app"
    assert find_app(module_name) is module.celery_app, f"{where}: -A finds another app"
    # Celery parses the whole line as it would at start; --help stops before anything runs.
    result = CliRunner().invoke(celery_cli, [*args, "--help"], prog_name="celery")
    assert result.exit_code == 0, f"{where}: celery {' '.join(args)}\n{result.output}"
    subcommand = args[2]
    if subcommand in ("inspect", "control"):
        action = next(a for a in args[3:] if not a.startswith("-"))
        assert action in Panel.meta, f"{where}: no remote control command {action!r}"
        assert Panel.meta[action].type == subcommand, f"{where}: {action} is not {subcommand}"


def check_python(args: list[str], where: str, image: Image) -> None:
    if args[:1] == ["-c"]:
        compile(args[1], where, "exec")
    elif args[:1] == ["-m"]:
        assert importlib.util.find_spec(args[1]) is not None, f"{where}: no module {args[1]}"
    else:
        pytest.fail(f"{where}: python runs -c CODE or -m MODULE here, not {args}")


def check_console_script(program: str, args: list[str], where: str) -> None:
    module_name, _, attribute = PYPROJECT["project"]["scripts"][program].partition(":")
    command = getattr(importlib.import_module(module_name), attribute)
    assert isinstance(command, click.Command), f"{where}: {program} is not a click command"
    result = CliRunner().invoke(command, [*args, "--help"], prog_name=program)
    assert result.exit_code == 0, f"{where}: {program} {' '.join(args)}\n{result.output}"


def python_code_of(argv: list[str]) -> str:
    """The code of a `python -c CODE` command, possibly wrapped in sh -c."""
    if PurePosixPath(argv[0]).name == "sh":
        argv = shlex.split(argv[2])
    assert PurePosixPath(argv[0]).name.startswith("python") and argv[1] == "-c", argv
    return argv[2]


def probe_targets(code: str) -> tuple[set[str], set[int]]:
    """Paths and ports a `python -c` health check asks for: its URL strings, and the default
    of os.environ.get('PORT', ...) where it reads the port from the environment."""
    paths, ports = set(), set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if "://" in node.value:
                url = urlsplit(node.value)
                if url.path:
                    paths.add(url.path)
                if url.port:
                    ports.add(url.port)
            elif node.value.startswith("/"):
                paths.add(node.value)
        if isinstance(node, ast.Call) and len(node.args) == 2:
            first, default = node.args
            if isinstance(first, ast.Constant) and first.value == "PORT":
                assert isinstance(default, ast.Constant)
                ports.add(int(default.value))
    return paths, ports


# ================================================================================ tests
@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_yaml_file_parses(path: Path) -> None:
    docs = load_all(path)
    assert docs and all(isinstance(doc, dict) for doc in docs)


# ------------------------------------------------------------------ Dockerfile
def test_dockerfile_is_multi_stage_slim_and_non_root(stages: list[Stage], image: Image) -> None:
    python = re.search(r">=\s*(\d+\.\d+)", PYPROJECT["project"]["requires-python"])[1]
    assert len(stages) >= 2
    assert all(stage.image == f"python:{python}-slim" for stage in stages)
    names = [stage.name for stage in stages]
    for copy in copies(image.stage):
        if copy.from_stage is not None:
            assert copy.from_stage in names[:-1], f"COPY --from={copy.from_stage}"
    user = image.stage.last("USER")
    assert user is not None, "the image must not run as root"
    uid, _, gid = user.args.partition(":")
    # numeric, so that Kubernetes can verify runAsNonRoot without a passwd lookup
    assert uid.isdigit() and int(uid) > 0 and (not gid or gid.isdigit())
    assert image.stage.instructions.index(user) > max(
        image.stage.instructions.index(i) for i in image.stage.all("RUN")
    ), "USER comes after every RUN of the final stage"


def test_dockerfile_installs_the_package_from_pyproject(stages: list[Stage]) -> None:
    build = stages[0]
    copied = {source.rstrip("/") for copy in copies(build) for source in copy.sources}
    assert {"pyproject.toml", PYPROJECT["project"]["readme"]} <= copied
    for pattern in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]:
        package = pattern.rstrip("*")
        assert package in copied, f"the build stage does not copy the package {package}/"
    runs = " ".join(i.args for i in build.all("RUN"))
    assert "pip install" in runs and re.search(r"pip install [^&]*\.(\s|$)", runs)


def test_dockerfile_copy_sources_exist_and_pass_dockerignore(stages: list[Stage]) -> None:
    patterns = dockerignore_patterns()
    for stage in stages:
        for copy in copies(stage):
            if copy.from_stage is not None:
                continue
            for source in copy.sources:
                path = ROOT / source
                assert path.exists(), f"Dockerfile:{copy.line}: COPY {source}: no such path"
                files = [path] if path.is_file() else sorted(path.rglob("*"))
                files = [f for f in files if f.is_file() and "__pycache__" not in f.parts]
                assert files, f"Dockerfile:{copy.line}: {source} is empty"
                for file in files:
                    relative = file.relative_to(ROOT).as_posix()
                    assert not dockerignored(relative, patterns), f".dockerignore drops {relative}"


def test_dockerfile_runs_gunicorn_with_the_config_and_data(image: Image) -> None:
    command = image.default_command()
    assert command == ["gunicorn", "-c", "deploy/gunicorn.conf.py", "service.wsgi:app"]
    check_command(command, "Dockerfile CMD", image)
    env = image.env
    assert env["HOST"] == "0.0.0.0", "gunicorn.conf.py binds 127.0.0.1 unless HOST says otherwise"
    assert image.exposed_ports() == {int(env["PORT"])}
    # the package is installed into site-packages: the data paths must point into /app
    assert image.has(env["DOSEWISE_CATALOG_PATH"])
    rules = image.resolve(env["DOSEWISE_RULES_DIR"])
    assert rules == ROOT / "rules"


def test_dockerfile_healthcheck_asks_healthz(image: Image, get_routes: set[str]) -> None:
    healthcheck = image.stage.last("HEALTHCHECK")
    assert healthcheck is not None
    match = re.fullmatch(r"((?:--[a-z-]+=\S+\s+)*)CMD\s+(.+)", healthcheck.args, re.S)
    assert match, f"Dockerfile:{healthcheck.line}: HEALTHCHECK [OPTIONS] CMD command"
    options = dict(o[2:].split("=", 1) for o in match.group(1).split())
    assert set(options) <= {"interval", "timeout", "start-period", "start-interval", "retries"}
    command = command_form(match.group(2))
    check_command(command, "Dockerfile HEALTHCHECK", image)
    paths, ports = probe_targets(python_code_of(command))
    assert paths == {"/healthz"} and paths <= get_routes
    assert ports == image.exposed_ports()


def dockerignore_patterns() -> list[tuple[bool, re.Pattern[str]]]:
    """(negated, regex) per line of .dockerignore, in order; the last match decides."""
    out = []
    for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        pattern = line.removeprefix("!").strip("/")
        regex = ""
        for part in re.split(r"(\*\*/?|\*|\?)", pattern):
            if part in ("**", "**/"):
                regex += ".*"
            elif part == "*":
                regex += "[^/]*"
            elif part == "?":
                regex += "[^/]"
            else:
                regex += re.escape(part)
        out.append((negated, re.compile(regex)))
    return out


def dockerignored(relative: str, patterns: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Docker's rule: a pattern that matches a file or any folder above it applies to it."""
    parts = relative.split("/")
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    ignored = False
    for negated, regex in patterns:
        if any(regex.fullmatch(candidate) for candidate in candidates):
            ignored = not negated
    return ignored


def test_dockerignore_keeps_secrets_and_venv_out() -> None:
    patterns = dockerignore_patterns()
    dropped = (
        ".env",
        ".venv/bin/python",
        ".git/config",
        "tests/conftest.py",
        "service/__pycache__/x",
    )
    for path in dropped:
        assert dockerignored(path, patterns), path
    assert not dockerignored("rules/merchandising/campaigns.yaml", patterns)


# ------------------------------------------------------------------ gunicorn config
def load_gunicorn_conf(monkeypatch: pytest.MonkeyPatch, cpus: int) -> dict[str, Any]:
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_TIMEOUT", "HOST", "PORT"):
        monkeypatch.delenv(name, raising=False)
    # the config sets PROMETHEUS_MULTIPROC_DIR when unset; keep that out of this process
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(dir=TEST_TMP))
    monkeypatch.setattr(multiprocessing, "cpu_count", lambda: cpus)
    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(cpus)), raising=False)
    namespace = runpy.run_path(str(GUNICORN_CONF))
    return {
        name: value
        for name, value in namespace.items()
        if not name.startswith("_") and not isinstance(value, type(os))
    }


def test_gunicorn_conf_workers_timeouts_preload(monkeypatch: pytest.MonkeyPatch) -> None:
    small, large = load_gunicorn_conf(monkeypatch, 2), load_gunicorn_conf(monkeypatch, 8)
    assert small["workers"] >= 2 and large["workers"] > small["workers"], "workers from CPUs"
    config = GunicornConfig()
    for name, value in large.items():
        assert name in config.settings, f"gunicorn.conf.py: {name} is not a gunicorn setting"
        config.set(name, value)  # gunicorn's own validation of each value
    assert config.timeout > 0 and 0 < config.graceful_timeout <= config.timeout
    assert config.preload_app is True
    assert config.reload is False, "code reload is for development; HUP reloads gracefully"
    assert config.bind == ["127.0.0.1:8000"]
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("PORT", "9000")
    overridden = runpy.run_path(str(GUNICORN_CONF))
    assert overridden["workers"] == 3 and overridden["bind"] == "0.0.0.0:9000"


# ------------------------------------------------------------------ docker compose
def compose_schema() -> dict:
    vendor = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads((vendor / "compose-spec.json").read_text(encoding="utf-8"))


def validate_compose(document: dict) -> None:
    schema = compose_schema()
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    validator(schema).validate(document)


def test_compose_validates_against_the_compose_spec(compose: dict) -> None:
    validate_compose(compose)


def test_compose_schema_catches_a_typo(compose: dict) -> None:
    broken = json.loads(json.dumps(compose))
    broken["services"]["web"]["helthcheck"] = broken["services"]["web"].pop("healthcheck")
    with pytest.raises(jsonschema.ValidationError):
        validate_compose(broken)


def compose_command(service: dict, image: Image) -> list[str]:
    command = service.get("command")
    if command is None:
        return image.default_command()
    return command if isinstance(command, list) else shlex.split(command)


def healthcheck_command(test: list[str] | str) -> list[str]:
    if isinstance(test, str):
        return ["sh", "-c", test.replace("$$", "$")]
    kind, *rest = test
    if kind == "CMD-SHELL":
        return ["sh", "-c", rest[0].replace("$$", "$")]
    assert kind == "CMD", test
    return rest


def test_compose_services_commands_and_healthchecks(
    compose: dict, image: Image, get_routes: set[str]
) -> None:
    services = compose["services"]
    assert {"redis", "web", "worker", "beat"} <= set(services)
    ours = {name: s for name, s in services.items() if "build" in s}
    assert set(ours) == {"web", "worker", "beat"}
    expected = {"web": "gunicorn", "worker": "worker", "beat": "beat"}
    for name, service in ours.items():
        build = service["build"]
        assert (COMPOSE_FILE.parent / build["context"]).resolve() == ROOT
        assert (ROOT / build["dockerfile"]).resolve() == DOCKERFILE
        command = compose_command(service, image)
        check_command(command, f"compose {name}", image)
        assert expected[name] in command
        if command[0] == "celery":
            assert command[1:3] == ["-A", "workers.make_celery"]
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        healthcheck = service.get("healthcheck")
        assert healthcheck, f"compose {name}: a healthcheck, or disable: true with a reason"
        if healthcheck.get("disable"):
            assert name == "beat", "only beat, which serves nothing, goes without a healthcheck"
            continue
        check_command(healthcheck_command(healthcheck["test"]), f"compose {name} check", image)
    web_check = healthcheck_command(services["web"]["healthcheck"]["test"])
    paths, ports = probe_targets(python_code_of(web_check))
    assert paths == {"/healthz"} and paths <= get_routes and ports == image.exposed_ports()
    redis_test = services["redis"]["healthcheck"]["test"]
    assert redis_test[:2] == ["CMD", "redis-cli"]
    assert "deploy" not in services["beat"] or services["beat"]["deploy"].get("replicas", 1) == 1


def test_compose_environment_rules_mount_and_port(compose: dict, image: Image) -> None:
    services = compose["services"]
    for name in ("web", "worker", "beat"):
        service = services[name]
        env = service["environment"]
        redis = urlsplit(env["REDIS_URL"])
        assert redis.scheme == "redis" and redis.hostname in services, f"{name}: REDIS_URL"
        check_env_names(env, f"compose {name}")
        mounts = {}
        for volume in service["volumes"]:
            source, target, *mode = volume.split(":")
            mounts[target] = (source, mode)
        rules_dir = env.get("DOSEWISE_RULES_DIR", image.env["DOSEWISE_RULES_DIR"])
        source, mode = mounts[rules_dir]
        assert (COMPOSE_FILE.parent / source).resolve() == ROOT / "rules"
        assert mode == ["ro"], f"{name}: rules are mounted read-only"
        if service.get("read_only"):
            assert "/tmp" in service.get("tmpfs", []), f"{name}: a read-only root needs /tmp"
    assert {int(p) for p in services["web"]["expose"]} == image.exposed_ports()
    assert "ports" not in services["web"], "clients reach gunicorn only through nginx"
    assert "ports" not in services["redis"], "Redis holds health data: do not publish it"


def test_compose_puts_nginx_in_front_of_gunicorn(compose: dict, image: Image) -> None:
    """Slow clients (issue 15, point 3): the only published port is nginx's, which proxies to
    web's gunicorn port with the template that tests/test_slow_clients.py runs."""
    proxy = compose["services"]["proxy"]
    assert proxy["image"].startswith(PROXY_IMAGE + ":")
    (published,) = proxy["ports"]
    listen = int(proxy["environment"]["NGINX_PORT"])
    assert int(str(published).split(":")[-1]) == listen
    host, _, port = proxy["environment"]["DOSEWISE_UPSTREAM"].partition(":")
    assert host == "web" and {int(port)} == image.exposed_ports()
    source, target, mode = proxy["volumes"][0].split(":")
    assert (COMPOSE_FILE.parent / source).resolve() == NGINX_TEMPLATE
    assert target == "/etc/nginx/templates/dosewise.conf.template" and mode == "ro"
    assert any(t.startswith("/etc/nginx/conf.d") for t in proxy["tmpfs"]), "no default site"
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"
    check_nginx_template({"DOSEWISE_UPSTREAM", "NGINX_PORT"}, set(proxy["environment"]))


def check_nginx_template(needed: set[str], given: set[str]) -> None:
    text = NGINX_TEMPLATE.read_text()
    assert set(re.findall(r"\$\{(\w+)\}", text)) == needed <= given
    for directive in (
        "client_header_timeout",
        "client_body_timeout",
        "client_max_body_size 1m",
        "proxy_request_buffering on",
        "default_server",
    ):
        assert directive in text, directive


def check_env_names(env: dict[str, Any], where: str) -> None:
    """Every variable set is one something reads: a DOSEWISE_* setting, a variable the gunicorn
    config reads, or a standard one."""
    settings = set(defaults())
    gunicorn_reads = set(re.findall(r"environ\.get\(\s*['\"](\w+)", GUNICORN_CONF.read_text()))
    for name in env:
        if name.startswith("DOSEWISE_"):
            assert name.removeprefix("DOSEWISE_") in settings, f"{where}: unknown setting {name}"
        else:
            assert name in gunicorn_reads | STANDARD_ENV, f"{where}: nothing reads {name}"


def test_dockerfile_environment_names_are_read(image: Image) -> None:
    check_env_names(image.env, "Dockerfile ENV")


# ------------------------------------------------------------------ Kubernetes
KUSTOMIZATION_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "resources"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "kustomize.config.k8s.io/v1beta1"},
        "kind": {"const": "Kustomization"},
        "namespace": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
        "labels": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["pairs"],
                "properties": {
                    "pairs": {"type": "object", "additionalProperties": {"type": "string"}},
                    "includeSelectors": {"type": "boolean"},
                    "includeTemplates": {"type": "boolean"},
                },
            },
        },
        "resources": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "images": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "newName": {"type": "string"},
                    "newTag": {"type": "string"},
                    "digest": {"type": "string"},
                },
            },
        },
        "configMapGenerator": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "behavior": {"enum": ["create", "replace", "merge"]},
                    "files": {"type": "array", "items": {"type": "string"}},
                    "literals": {"type": "array", "items": {"type": "string"}},
                    "envs": {"type": "array", "items": {"type": "string"}},
                    "options": {"type": "object"},
                },
            },
        },
    },
}


def validate_k8s(document: dict) -> None:
    for version in K8S_VERSIONS:
        kubernetes_validate.validate(document, version, strict=True)


@pytest.fixture(scope="module")
def generated_configmaps(kustomization: dict) -> dict[str, dict]:
    """The ConfigMaps kustomize's configMapGenerator makes (names without the hash suffix)."""
    out = {}
    for generator in kustomization["configMapGenerator"]:
        data = {}
        for entry in generator.get("files", []):
            key, _, source = entry.rpartition("=") if "=" in entry else ("", "", entry)
            path = (K8S / source).resolve()
            assert path.is_file(), f"configMapGenerator {generator['name']}: no file {source}"
            data[key or path.name] = path.read_text(encoding="utf-8")
        for literal in generator.get("literals", []):
            key, _, value = literal.partition("=")
            data[key] = value
        name = generator["name"]
        out[name] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}
        out[name]["data"] = data
    return out


def test_kustomization_lists_every_manifest(kustomization: dict) -> None:
    jsonschema.Draft202012Validator(KUSTOMIZATION_SCHEMA).validate(kustomization)
    manifests = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(kustomization["resources"]) == sorted(manifests)
    assert len(set(kustomization["resources"])) == len(kustomization["resources"])


@pytest.mark.parametrize(
    "path",
    sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml"),
    ids=lambda p: p.name,
)
def test_manifest_validates_against_kubernetes_schemas(path: Path) -> None:
    for document in load_all(path):
        validate_k8s(document)


def test_kubernetes_schemas_catch_a_typo(deployments: dict[str, dict]) -> None:
    broken = json.loads(json.dumps(deployments["dosewise-web"]))
    container = main_container(broken)
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(jsonschema.ValidationError):
        validate_k8s(broken)


def test_rule_configmaps_hold_every_rule_file(
    generated_configmaps: dict[str, dict], deployments: dict[str, dict]
) -> None:
    rules = ROOT / "rules"
    expected = {
        "reference": {p.name for p in (rules / "reference").glob("*.yaml")},
        "merchandising": {p.name for p in (rules / "merchandising").glob("*.yaml")},
    }
    for configmap in generated_configmaps.values():
        validate_k8s(configmap)
        size = sum(len(k) + len(v.encode()) for k, v in configmap["data"].items())
        assert size < CONFIGMAP_MAX_BYTES, f"{configmap['metadata']['name']}: over 1 MiB"
    for where, rules_dir, mounts, volumes in _rule_mounts(deployments):
        for folder, files in expected.items():
            mount = mounts.get(rules_dir / folder)
            assert mount, f"{where}: nothing mounted at {rules_dir / folder}"
            assert mount.get("readOnly") is True and "subPath" not in mount, where
            configmap = volumes[mount["name"]]["configMap"]["name"]
            assert configmap in generated_configmaps, f"{where}: no ConfigMap {configmap}"
            assert set(generated_configmaps[configmap]["data"]) == files, (
                f"{configmap}: list exactly rules/{folder}/*.yaml in kustomization.yaml"
            )


def _rule_mounts(deployments: dict[str, dict]):
    """Per container of every deployment: its name, its rules folder, its mounts by path and
    its pod's volumes by name."""
    for deployment in deployments.values():
        volumes = {v["name"]: v for v in pod_spec(deployment)["volumes"]}
        for container in all_containers(deployment):
            where = f"{deployment['metadata']['name']}/{container['name']}"
            rules_dir = PurePosixPath(container_env(container)["DOSEWISE_RULES_DIR"])
            mounts = {PurePosixPath(m["mountPath"]): m for m in container["volumeMounts"]}
            yield where, rules_dir, mounts, volumes


def test_rule_settings_files_are_in_a_configmap_mounted_over_each_file(
    generated_configmaps: dict[str, dict], deployments: dict[str, dict]
) -> None:
    """rules/*.yaml (experiments, placements, refills: issue 11) come from a ConfigMap too, each
    mounted as its file, so an edit reaches the pods (and `dosewise rules check` in the init
    container checks it) without a new image."""
    expected = {p.name for p in (ROOT / "rules").glob("*.yaml")}
    assert {"placements.yaml", "refills.yaml"} <= expected
    for where, rules_dir, mounts, volumes in _rule_mounts(deployments):
        for name in sorted(expected):
            mount = mounts.get(rules_dir / name)
            assert mount, f"{where}: nothing mounted at {rules_dir / name}"
            assert mount.get("readOnly") is True and mount.get("subPath") == name, where
            configmap = volumes[mount["name"]]["configMap"]["name"]
            assert configmap in generated_configmaps, f"{where}: no ConfigMap {configmap}"
            data = generated_configmaps[configmap]["data"]
            assert data.get(name) == (ROOT / "rules" / name).read_text(encoding="utf-8")


def test_deployments_run_commands_of_the_image(
    deployments: dict[str, dict], image: Image, kustomization: dict
) -> None:
    images = {entry["name"]: entry for entry in kustomization["images"]}
    assert images[OUR_IMAGE].get("newTag", "latest") != "latest", "pin the image tag"
    expected = {"dosewise-web": "gunicorn", "dosewise-worker": "worker", "dosewise-beat": "beat"}
    for name, deployment in deployments.items():
        for container in all_containers(deployment):
            where = f"{name}/{container['name']}"
            assert container["image"] == OUR_IMAGE, where
            command = [
                *container.get("command", image.default_command()),
                *container.get("args", []),
            ]
            check_command(command, where, image)
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                if "exec" in container.get(probe, {}):
                    check_command(container[probe]["exec"]["command"], f"{where} {probe}", image)
            pre_stop = container.get("lifecycle", {}).get("preStop", {})
            if "exec" in pre_stop:
                check_command(pre_stop["exec"]["command"], f"{where} preStop", image)
            check_env_names(container_env(container), where)
        main = main_container(deployment)
        command = main["command"]
        assert expected[name] in command
        if command[0] == "celery":
            assert command[1:3] == ["-A", "workers.make_celery"]


def test_pods_are_non_root_with_limits(deployments: dict[str, dict]) -> None:
    for name, deployment in deployments.items():
        spec = pod_spec(deployment)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] > 0
        assert spec.get("automountServiceAccountToken") is False, name
        for container in all_containers(deployment):
            where = f"{name}/{container['name']}"
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), where
            assert "memory" in resources["limits"], where
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert "/tmp" in mounts, f"{where}: a read-only root needs a writable /tmp"


def named_port(container: dict, port: int | str) -> int:
    if isinstance(port, int):
        return port
    return next(p["containerPort"] for p in container["ports"] if p["name"] == port)


def test_web_probes_ports_and_service(
    deployments: dict[str, dict],
    manifests: list[tuple[str, dict]],
    image: Image,
    get_routes: set[str],
) -> None:
    web = deployments["dosewise-web"]
    container = main_container(web)
    proxy = next(c for c in pod_spec(web)["containers"] if c["name"] == PROXY)
    (container_port,) = {p["containerPort"] for p in container["ports"]}
    assert {container_port} == image.exposed_ports()
    assert int(container_env(container)["PORT"]) == container_port
    probes = {
        probe: container[probe]["httpGet"]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe")
        if probe in container
    }
    # Redis is reported but optional for readiness: a Redis outage must not take every web pod
    # out of the Service while the GET path and POST /v1/recommendations keep answering
    assert probes["readinessProbe"]["path"] == "/readyz?redis=optional"
    assert probes["livenessProbe"]["path"] == "/healthz"
    for probe, http in probes.items():
        path = http["path"].split("?", 1)[0]
        assert path in get_routes, f"{probe}: {http['path']} is not a route"
        assert named_port(container, http["port"]) == container_port, probe
    services = of_kind(manifests, "Service")
    service = services["dosewise-web"]
    labels = web["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    for other in ("dosewise-worker", "dosewise-beat"):
        other_labels = deployments[other]["spec"]["template"]["metadata"]["labels"]
        assert not service["spec"]["selector"].items() <= other_labels.items(), other
    # clients come through nginx (issue 15, point 3), which proxies to gunicorn's port
    for port in service["spec"]["ports"]:
        assert named_port(proxy, port["targetPort"]) == int(container_env(proxy)["NGINX_PORT"])
    assert proxy["image"].startswith(PROXY_IMAGE + ":")
    upstream = container_env(proxy)["DOSEWISE_UPSTREAM"]
    assert upstream == f"127.0.0.1:{container_port}"
    check_nginx_template({"DOSEWISE_UPSTREAM", "NGINX_PORT"}, set(container_env(proxy)))
    volumes = {v["name"]: v for v in pod_spec(web)["volumes"]}
    mounts = {m["mountPath"]: m for m in proxy["volumeMounts"]}
    template = volumes[mounts["/etc/nginx/templates"]["name"]]["configMap"]["name"]
    assert template == "dosewise-nginx"
    assert "emptyDir" in volumes[mounts["/etc/nginx/conf.d"]["name"]], "no default site"
    assert "/tmp" in mounts and proxy["securityContext"]["readOnlyRootFilesystem"] is True
    # cpu_count() sees the node, not the pod: the workers come from the environment
    workers = int(container_env(container)["WEB_CONCURRENCY"])
    cpus = parse_cpu(container["resources"]["requests"]["cpu"])
    assert 1 <= workers <= 2 * cpus + 1


def parse_cpu(quantity: str | int) -> float:
    text = str(quantity)
    return int(text[:-1]) / 1000 if text.endswith("m") else float(text)


def parse_seconds(duration: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    total = 0.0
    for amount, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", duration):
        total += float(amount) * units[unit]
    return total


def test_graceful_stop_fits_the_grace_periods(
    deployments: dict[str, dict], compose: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    graceful = load_gunicorn_conf(monkeypatch, 2)["graceful_timeout"]
    web = deployments["dosewise-web"]
    pre_stop = main_container(web)["lifecycle"]["preStop"]["exec"]["command"]
    pause = float(pre_stop[-1]) if pre_stop[0] == "sleep" else 0.0
    assert pod_spec(web)["terminationGracePeriodSeconds"] > graceful + pause
    assert parse_seconds(compose["services"]["web"]["stop_grace_period"]) > graceful
    worker_grace = pod_spec(deployments["dosewise-worker"])["terminationGracePeriodSeconds"]
    assert worker_grace >= 60, "a worker finishes its chunk on SIGTERM"


def test_worker_has_probes_and_beat_is_a_singleton(deployments: dict[str, dict]) -> None:
    worker = main_container(deployments["dosewise-worker"])
    for probe in ("readinessProbe", "livenessProbe"):
        command = worker[probe]["exec"]["command"]
        assert "inspect ping" in " ".join(command), probe
        assert worker[probe]["timeoutSeconds"] >= 10, f"{probe}: loading the app takes seconds"
    beat = deployments["dosewise-beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate", "never two beats, even in a rollout"
    schedule = next(a for a in main_container(beat)["command"] if a.startswith("--schedule="))
    mounts = {m["mountPath"] for m in main_container(beat)["volumeMounts"]}
    assert str(PurePosixPath(schedule.partition("=")[2]).parent) in mounts


def test_autoscalers_and_disruption_budgets(
    deployments: dict[str, dict], manifests: list[tuple[str, dict]]
) -> None:
    autoscalers = of_kind(manifests, "HorizontalPodAutoscaler")
    targets = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in autoscalers.values()}
    assert targets == {"dosewise-web", "dosewise-worker"}, "beat must never be scaled"
    for hpa in autoscalers.values():
        assert hpa["apiVersion"] == "autoscaling/v2"
        ref = hpa["spec"]["scaleTargetRef"]
        assert ref["kind"] == "Deployment" and ref["apiVersion"] == "apps/v1"
        deployment = deployments[ref["name"]]
        assert "replicas" not in deployment["spec"], f"{ref['name']}: the autoscaler owns it"
        assert 1 <= hpa["spec"].get("minReplicas", 1) <= hpa["spec"]["maxReplicas"]
        for metric in hpa["spec"]["metrics"]:
            if metric["type"] == "Resource":
                resource = metric["resource"]["name"]
                for container in pod_spec(deployment)["containers"]:
                    assert resource in container["resources"]["requests"], "utilization of what?"
    assert autoscalers["dosewise-web"]["spec"]["minReplicas"] >= 2, "one web pod is no HA"
    budgets = of_kind(manifests, "PodDisruptionBudget")
    assert set(budgets) >= {"dosewise-web", "dosewise-worker"}
    for budget in budgets.values():
        selector = budget["spec"]["selector"]["matchLabels"]
        matched = [
            name
            for name, d in deployments.items()
            if selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert matched == [budget["metadata"]["name"]]


def test_deployment_selectors_and_shared_settings(deployments: dict[str, dict]) -> None:
    redis_sources = set()
    for name, deployment in deployments.items():
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
        env = container_env(main_container(deployment))
        redis_sources.add(json.dumps(env["REDIS_URL"], sort_keys=True))
        assert env["DOSEWISE_RULES_DIR"] == "/app/rules", name
    assert len(redis_sources) == 1, "web, worker and beat must share one Redis and broker"


# ------------------------------------------------------------------ API keys (review s5 S4)
API_KEYS_SECRET = "dosewise-api-keys"  # documented in docs/operators.md §Security


def test_k8s_web_requires_the_api_key_secret(deployments: dict[str, dict]) -> None:
    """Stored profiles are health data: the production web pods read their keys from the
    Secret (not optional: a missing Secret stops the pod) and refuse to start without keys."""
    env = container_env(main_container(deployments["dosewise-web"]))
    source = env["DOSEWISE_API_KEYS"]
    assert isinstance(source, dict), "the keys come from a Secret, never a literal"
    ref = source["secretKeyRef"]
    assert ref["name"] == API_KEYS_SECRET and ref["key"] and not ref.get("optional", False)
    assert json.loads(env["DOSEWISE_REQUIRE_API_KEYS"]) is True
    assert API_KEYS_SECRET in (K8S / "kustomization.yaml").read_text(encoding="utf-8")
    assert API_KEYS_SECRET in (ROOT / "docs" / "operators.md").read_text(encoding="utf-8")


def test_compose_web_requires_the_api_keys(compose: dict) -> None:
    """`docker compose up` stops with a message when DOSEWISE_API_KEYS is not set (the
    `${NAME:?message}` interpolation), and the service refuses to start with empty keys."""
    env = compose["services"]["web"]["environment"]
    assert re.fullmatch(r"\$\{DOSEWISE_API_KEYS:\?[^}]+\}", env["DOSEWISE_API_KEYS"])
    assert json.loads(str(env["DOSEWISE_REQUIRE_API_KEYS"]).lower()) is True


@pytest.mark.parametrize("keys", [None, "", "{}"])
def test_required_keys_missing_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, keys: str | None
) -> None:
    from service.api.app import create_app

    monkeypatch.setenv("DOSEWISE_REQUIRE_API_KEYS", "true")
    if keys is None:
        monkeypatch.delenv("DOSEWISE_API_KEYS", raising=False)
    else:
        monkeypatch.setenv("DOSEWISE_API_KEYS", keys)
    with pytest.raises(RuntimeError, match="DOSEWISE_API_KEYS"):
        create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None})


def test_required_keys_present_closes_every_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    from service.api.app import create_app

    monkeypatch.setenv("DOSEWISE_REQUIRE_API_KEYS", "true")
    monkeypatch.setenv("DOSEWISE_API_KEYS", '{"shop-key-0123456789": ["recommend"]}')
    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None})
    client = app.test_client()
    assert client.get("/v1/customers/c-1/recommendations").status_code == 401
    assert client.delete("/v1/customers/c-1").status_code == 401
    assert client.post("/v1/admin/reload", json={}).status_code == 401
    assert client.get("/healthz").status_code == 200


def test_keys_stay_optional_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """`make run` and the tests: open without keys unless the setting asks for them."""
    from service.api.app import create_app

    monkeypatch.delenv("DOSEWISE_REQUIRE_API_KEYS", raising=False)
    monkeypatch.delenv("DOSEWISE_API_KEYS", raising=False)
    app = create_app({"TESTING": True, "RELOAD_INTERVAL": 0, "REDIS_URL": None})
    assert app.test_client().get("/v1/products?limit=1").status_code == 200
