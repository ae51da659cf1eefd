"""What every command shares: the `dosewise` group, the data options, one-line failures,
the recommender and the customer store as the service builds them, profile files."""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
import yaml
from marshmallow import ValidationError

from ..contract.schemas import flatten_messages
from ..core.errors import DataFileError, DosewiseError
from ..core.recommender import Recommender
from ..core.snapshot import DataPaths
from ..settings import defaults

if TYPE_CHECKING:
    from ..factory import Components

_DEFAULTS = defaults()


def _paths(catalog: str, rules: str) -> DataPaths:
    return DataPaths(Path(catalog), Path(rules))


data_options = [
    click.option(
        "--catalog",
        default=_DEFAULTS["CATALOG_PATH"],
        show_default=True,
        envvar="DOSEWISE_CATALOG_PATH",
        help="Catalog YAML file.",
    ),
    click.option(
        "--rules",
        default=_DEFAULTS["RULES_DIR"],
        show_default=True,
        envvar="DOSEWISE_RULES_DIR",
        help="Rules folder (with reference/ and merchandising/).",
    ),
]


def refuse(exc: DataFileError) -> NoReturn:
    """Print every finding as file:line:col: code: message, in the order of the files and
    lines as lint prints them (review s32b F10: unknown keys came in set order), and exit 1."""
    for finding in sorted(exc.findings, key=lambda f: (f.file, f.line, f.column)):
        click.echo(str(finding), err=True)
    click.echo(f"refused: {len(exc.findings)} finding(s)", err=True)
    sys.exit(1)


def fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr saying what is wrong and what to do, then exit `code`."""
    click.echo(f"dosewise: {message}", err=True)
    sys.exit(code)


def _refused(exc: DosewiseError, hint: str = "") -> NoReturn:
    """The API's error as one line (its message, then each field's), exit 1."""
    fields = "; ".join(
        f"{field}: {' '.join(messages)}" for field, messages in flatten_messages(exc.fields).items()
    )
    fail(f"{exc.message}{hint}" + (f": {fields}" if fields else ""))


def did_you_mean(names: Iterable[str | None], known: Iterable[str]) -> str:
    """ " (did you mean 'X'?)" for each of `names` that is not in `known` but close to one that
    is (difflib), else ""."""
    known = list(known)
    close = [
        match[0]
        for name in dict.fromkeys(n for n in names if n and n not in known)
        if (match := difflib.get_close_matches(name, known, n=1, cutoff=0.6))
    ]
    return f" (did you mean {', '.join(map(repr, close))}?)" if close else ""


def _recommender(catalog: str, rules: str) -> Recommender:
    """The core as the service builds it (service/factory.py): same data files and the same
    model store, so the command line ranks exactly as the running service does."""
    from ..factory import build, read_config

    overrides = {"CATALOG_PATH": catalog, "RULES_DIR": rules, "RELOAD_INTERVAL": 0}
    try:
        return build(read_config({**overrides, "MODEL_DIR": str(_model_dir())})).recommender
    except DataFileError as exc:
        refuse(exc)


def log_file_option(name: str, help_text: str | None = None, required: bool = False):
    """`--NAME FILE`: an existing JSON-lines log (impressions, events, exposures) as a Path."""
    return click.option(
        f"--{name}",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        required=required,  # no explicit default: click 8.5 takes None as one given (review
        help=help_text,  # s35b F3: `experiments report` without --exposures was a TypeError)
    )


def profile_option(help_text: str):
    """`--profile FILE` (required) as `profile_path`: JSON or YAML, '-' for stdin."""
    return click.option("--profile", "profile_path", required=True, help=help_text)


format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text to read, json for scripts.",
)


def date_option(help_text: str):
    """`--date YYYY-MM-DD` as `day`: evaluate campaign windows and the season on that day."""
    return click.option(
        "--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None, help=help_text
    )


def with_data(func):
    for option in reversed(data_options):
        func = option(func)
    return func


class _Main(click.Group):
    """The `dosewise` group: a path that is not what its option says (a file for a folder,
    a folder that does not exist) is one line and exit 1, not a traceback (review s35b F3)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            fail(f"{exc.strerror or exc}{where}")


@click.group(cls=_Main)
def main() -> None:
    """dosewise: safe, explained supplement recommendations.

    Exit codes: 0 success, 1 data files refused, request invalid or a service not there
    (Redis, a Celery worker), 2 usage error.
    """


def _customers() -> Components:
    """The service's components (service/factory.py) with the customer store on Redis:
    REDIS_URL, else the Redis a running `make run` of this checkout started. Exits 1 with one
    line when there is none or it does not answer."""
    import redis

    from ..factory import build, read_config
    from ..local import embedded_redis_url

    url = os.environ.get("REDIS_URL") or embedded_redis_url()
    if not url:
        fail("no Redis: set REDIS_URL, or start `make run` in this checkout (it runs one)")
    os.environ["REDIS_URL"] = url
    components = build(read_config({"REDIS_URL": url}))
    try:
        components.redis.ping()
    except (redis.RedisError, OSError) as exc:
        fail(f"Redis at {url} does not answer ({type(exc).__name__}): start it, or fix REDIS_URL")
    return components


def _redis_lost(exc: BaseException) -> NoReturn:
    fail(
        f"Redis stopped answering ({type(exc).__name__}: {str(exc)[:120]}): start it again "
        "and repeat the command"
    )


def _stored_profiles(count: int) -> list[dict]:
    import redis

    store = _customers().store
    profiles: list[dict] = []
    try:
        for ids in store.iter_id_chunks(1000):
            entries, _ = store.read_many(ids)
            profiles.extend(e["profile"] for e in entries if e)
            if len(profiles) >= count:
                break
    except (redis.RedisError, OSError) as exc:
        _redis_lost(exc)
    if not profiles:
        fail("no stored customers in Redis: drop --customers to use the bundled sample")
    return profiles[:count]


class DuplicateKey(yaml.constructor.ConstructorError):
    """A key given twice in one mapping of a profile file."""


class ProfileLoader(yaml.SafeLoader):
    """PyYAML reads YAML 1.1, where `1e3` (no dot) is a string, not the number it is in
    JSON and YAML 1.2: a profile file's `vitamin_d_iu: 1e3` was refused as "Not a valid
    number" while the API takes it (review 23 F2). Floats are read as YAML 1.2 reads them.

    A key given twice is refused (session 18 review F2): PyYAML keeps the last, so `age: 40`
    then `age: 3` answered for a child of 3 with exit 0, while the API answers the same body
    400 "duplicate key 'age'". A key that overrides one merged in with `<<:` is no duplicate."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # PyYAML's own error says "found unhashable key"
            if key in seen:
                raise DuplicateKey(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


ProfileLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
        |[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def _load_request(path: str, schema) -> Any:
    """A profile file (JSON or YAML; a bare profile or a whole request body) validated as the
    API validates it. Every problem is one line: exit 2 when the file cannot be read, 1 when
    its content is not a valid profile."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        fail(
            f"profile file {path} does not exist: give a JSON or YAML profile "
            "(example: docs/examples/profile.yaml)",
            2,
        )
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read profile file {path}: {getattr(exc, 'strerror', None) or exc}", 2)
    try:
        data = yaml.load(text, Loader=ProfileLoader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else path
        problem = getattr(exc, "problem", None) or "not JSON or YAML"
        if isinstance(exc, DuplicateKey):
            fail(f"{where}: {problem}: give each field once (which one was meant?)")
        fail(f"{where}: {problem}: the profile file must be JSON or YAML")
    if not isinstance(data, dict):
        fail(
            f"{path}: expected a profile (fields such as `age: 67`) or a request body with "
            f"`profile:`, found {'nothing' if data is None else type(data).__name__}"
        )
    if "profile" not in data:
        data = {"profile": data}  # a bare profile file
    try:
        return schema.load(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{field}: {' '.join(messages)}"
            for field, messages in flatten_messages(exc.messages).items()
        )
        fail(f"{path}: invalid profile: {problems}")


def _model_dir() -> Path:
    return Path(
        _DEFAULTS["MODEL_DIR"]
        if "DOSEWISE_MODEL_DIR" not in os.environ
        else os.environ["DOSEWISE_MODEL_DIR"]
    )


def _learning_dir() -> Path:
    return Path(os.environ.get("DOSEWISE_LEARNING_DIR", _DEFAULTS["LEARNING_DIR"]))
