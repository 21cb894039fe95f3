"""Configuration: ``.dindlint.yaml`` / ``.dindlint.yml`` or ``[tool.dindlint]`` in pyproject.toml.

Found by walking up from the current directory to the repository root; at each level a
``.dindlint.y[a]ml`` wins over ``pyproject.toml``, and the nearest level wins (ruff's rule).
``--config FILE`` names the file, ``--no-config`` ignores them all. The file is validated with a
JSON Schema; any error names the file, the line and the key, and dindlint exits 2.
"""

from __future__ import annotations

import json
import os
import re
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, NamedTuple

from dindlint.discover import read_boundary
from dindlint.files import find_git_root
from dindlint.source import (
    MAX_QUOTED,
    ReadBoundary,
    inside_boundary,
    is_input_file,
    quoted,
    read_input,
    reading_within,
)

CONFIG_NAMES = (".dindlint.yaml", ".dindlint.yml")


ALL = "ALL"  # a selector for every rule, as in ruff (`--select ALL`)


def every_rule(selectors: Any) -> tuple[str, ...]:
    """Selectors with ``ALL`` as the prefix every rule id starts with."""
    return tuple("DIND" if s == ALL else s for s in selectors)


class ConfigError(Exception):
    """Configuration problems, each phrased as ``file:line: key: what is wrong`` (one argument
    a problem)."""


class _ConfigFields(NamedTuple):
    """The fields of :class:`Config` (the class itself fills in ``root``)."""

    select: tuple[str, ...] | None = None  # None: every rule
    ignore: tuple[str, ...] = ()
    severity: dict[str, str] = {}  # noqa: RUF012 - a field, never mutated
    fail_on: str | None = None
    exclude: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = {}  # noqa: RUF012 - a field, never mutated
    host_docker_gid: int | None = None
    images: tuple[dict[str, Any], ...] = ()
    env_files: tuple[Path, ...] = ()
    # variables the GitLab runner injects into every job (its `environment`), which the
    # `.gitlab-ci.yml` cannot show
    gitlab_runner_env: dict[str, str] = {}  # noqa: RUF012 - a field, never mutated
    root: Path = None  # type: ignore[assignment]  # globs and paths are relative to it
    source: Path | None = None


class Config(_ConfigFields):
    """The configuration in force. ``root`` defaults to the current directory when it is made."""

    __slots__ = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> Config:
        config = _ConfigFields.__new__(cls, *args, **kwargs)
        return config if config.root is not None else config._replace(root=Path.cwd())

    def enabled(self, rule_id: str) -> bool:
        """flake8/ruff semantics: the most specific matching selector decides; ties ignore."""
        chosen = max(
            (len(s) for s in self.select or ("DIND",) if rule_id.startswith(s)), default=-1
        )
        ignored = max((len(s) for s in self.ignore if rule_id.startswith(s)), default=-1)
        return chosen >= 0 and chosen > ignored

    def ignored_for(self, path: Path, rule_id: str) -> bool:
        """``per-file-ignores``: globs relative to the configuration's folder."""
        try:
            relative = path.relative_to(self.root).as_posix()
        except ValueError:
            relative = path.as_posix()
        return any(
            (fnmatch(relative, glob) or fnmatch(path.name, glob))
            and any(rule_id.startswith(s) for s in selectors)
            for glob, selectors in self.per_file_ignores.items()
        )

    def excluded(self, path: Path) -> bool:
        try:
            relative = path.relative_to(self.root).as_posix()
        except ValueError:
            return False
        parts = relative.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        return any(fnmatch(p, glob.rstrip("/")) for glob in self.exclude for p in prefixes)


def find_config(start: Path) -> Path | None:
    """The nearest configuration from ``start`` up to the repository root (or filesystem root)."""
    stop = find_git_root(start)
    for folder in (start, *start.parents):
        for name in CONFIG_NAMES:
            if is_input_file(folder / name):
                return folder / name
        pyproject = folder / "pyproject.toml"
        if is_input_file(pyproject):
            with reading_within(found_config_boundary(pyproject)):
                if _has_tool_section(pyproject):
                    return pyproject
        if folder == stop:
            break
    return None


def found_config_boundary(path: Path) -> ReadBoundary:
    """A configuration found in the tree is the repository's, not the user's: it is read only
    from inside its repository (the git top level; outside git, its own folder), not through a
    link out of it, and it may name no file outside it."""
    return read_boundary([path.parent])


def _has_tool_section(pyproject: Path) -> bool:
    try:
        text = read_input(pyproject).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(r"^\[tool\.dindlint(\.|\])", text, re.MULTILINE) is not None


def load_config(path: Path) -> Config:
    """Read and validate a configuration file; raise ``ConfigError`` on any problem."""
    try:
        text = read_input(path).decode("utf-8")
    except OSError as error:
        raise ConfigError(
            f"{_where(path)}: cannot read the configuration: {error.strerror or error}"
        ) from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{_where(path)}: cannot read the configuration: not UTF-8 (byte {error.start})"
        ) from None
    if path.name == "pyproject.toml":
        data, locate = _from_pyproject(path, text)
    else:
        data, locate = _from_yaml(path, text)
    try:
        _validate(path, data, locate)
        return _build(path, data, locate)
    except RecursionError:  # the schema validator recurses once per level (deep TOML arrays)
        raise ConfigError(f"{_where(path)}: the configuration is nested too deeply") from None


# A configuration is a few levels deep (images → entry → groups → group → members: five). Deeper
# is refused before the composer (which recurses once per level) and the schema validator see it.
MAX_CONFIG_DEPTH = 32
# A configuration is a few KB. It is read three times by ruamel's pure-Python parser (about
# 100,000 characters a second): a 5 MiB one, the most a file may hold, took minutes.
MAX_CONFIG_CHARS = 64 * 1024


def _refuse_aliases_and_depth(path: Path, yaml: Any, text: str) -> None:
    """One pass over the parser's events (the parser is iterative): refuse an alias, and nesting
    deeper than ``MAX_CONFIG_DEPTH``.

    The compose loader shares an aliased node instead of copying it, but the configuration goes
    to a JSON Schema validator that walks every path of the expanded data: 3.5 KB of anchors
    reused inside anchors kept it busy for 70 s. A configuration has no need for them."""
    depth = 0
    for event in yaml.parse(text):
        kind = type(event).__name__
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if kind == "AliasEvent":
            raise ConfigError(
                f"{_where(path)}:{line}: YAML aliases (`*{event.anchor}`) are not allowed "
                "in the configuration; write the value out"
            )
        if kind in ("SequenceStartEvent", "MappingStartEvent"):
            depth += 1
            if depth > MAX_CONFIG_DEPTH:
                raise ConfigError(
                    f"{_where(path)}:{line}: the configuration is nested deeper than "
                    f"{MAX_CONFIG_DEPTH} levels"
                )
        elif kind in ("SequenceEndEvent", "MappingEndEvent"):
            depth -= 1


def _from_yaml(path: Path, text: str) -> tuple[Any, Any]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    if len(text) > MAX_CONFIG_CHARS:
        raise ConfigError(
            f"{_where(path)}: the configuration holds {len(text):,} characters, over the "
            f"{MAX_CONFIG_CHARS:,} one may hold"
        )
    yaml = YAML(typ="safe", pure=True)
    try:
        _refuse_aliases_and_depth(path, yaml, text)
        node = yaml.compose(text)
        data = yaml.load(text)
    except MarkedYAMLError as error:
        from dindlint.compose.yamlnodes import describe_syntax_error

        line, _, message = describe_syntax_error(text, error)
        raise ConfigError(f"{_where(path)}:{line}: invalid YAML: {message}") from None
    except YAMLError as error:
        raise ConfigError(f"{_where(path)}:1: invalid YAML: {error}") from None
    except ValueError:  # int() refuses more than 4,300 digits
        raise ConfigError(
            f"{_where(path)}: invalid YAML: a number of more than 4,300 digits"
        ) from None
    if data is None:
        data = {}

    def locate(keys: list[Any]) -> int:
        current, line = node, 1
        for key in keys:
            if current is None:
                break
            line = current.start_mark.line + 1
            if hasattr(current, "value") and isinstance(current.value, list):
                if current.tag.endswith(":map"):
                    match = next((kv for kv in current.value if kv[0].value == str(key)), None)
                    if match is None:
                        break
                    line, current = match[0].start_mark.line + 1, match[1]
                    continue
                if isinstance(key, int) and key < len(current.value):
                    current = current.value[key]
                    line = current.start_mark.line + 1
                    continue
            break
        return line

    return data, locate


def _from_pyproject(path: Path, text: str) -> tuple[Any, Any]:
    import tomllib

    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{_where(path)}: invalid TOML: {error}") from None
    except RecursionError:  # `a = [[[[…`: tomllib recurses once per level
        raise ConfigError(f"{_where(path)}: invalid TOML: nested too deeply") from None
    except ValueError:  # int() refuses more than 4,300 digits
        raise ConfigError(
            f"{_where(path)}: invalid TOML: a number of more than 4,300 digits"
        ) from None
    # `[tool.dindlint]` was found by its text (it may be inside a multi-line string); the
    # document decides: `tool` and `tool.dindlint` must be tables
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{_where(path)}: `tool` is not a table, so there is no [tool.dindlint]")
    data = tool.get("dindlint", {})
    if not isinstance(data, dict):
        raise ConfigError(f"{_where(path)}: `tool.dindlint` is not a table")
    lines = text.splitlines()
    section = next(
        (i for i, line in enumerate(lines) if re.match(r"\[tool\.dindlint(\.|\])", line.strip())), 0
    )

    def locate(keys: list[Any]) -> int:
        names = [str(k) for k in keys if not isinstance(k, int)]
        if not names:
            return section + 1
        wanted = re.compile(rf"^\s*[\"']?{re.escape(names[-1])}[\"']?\s*=")
        for index in range(section, len(lines)):
            if wanted.match(lines[index]):
                return index + 1
        return section + 1

    return data, locate


def _validate(path: Path, data: Any, locate: Any) -> None:
    import jsonschema

    schema = json.loads((Path(__file__).parent / "data" / "config.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    problems = sorted(_schema_problem(path, e, locate) for e in validator.iter_errors(data))
    if problems:
        # every problem at once (up to ten), in line order: not one fix-and-rerun per error
        raise ConfigError(*(text for _, text in problems[:10]))  # one argument a problem
    _check_rule_ids(path, data, locate)


def _schema_problem(path: Path, error: Any, locate: Any) -> tuple[int, str]:
    """One schema violation: its line, and ``FILE:LINE: key: what is wrong``."""
    keys = list(error.absolute_path)
    if keys and keys[0] in _RULE_LISTS and error.validator == "pattern":
        from dindlint.catalogue import did_you_mean

        message = f"unknown rule id `{error.instance}`{did_you_mean(str(error.instance))}"
    else:
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            keys = keys + extra[:1]
            message = f"unknown key `{extra[0]}`" if extra else error.message
            if extra:
                import difflib

                known = [str(k) for k in error.schema.get("properties", {})]
                close = difflib.get_close_matches(str(extra[0]), known, n=1, cutoff=0.6)
                message += f"; did you mean `{close[0]}`?" if close else ""
        else:
            message = _without_the_value(error.message, error.instance)
    key = ".".join(str(k) for k in keys) or "(top level)"
    line = locate(keys)
    return line, f"{_where(path)}:{line}: {key}: {message}"


# the keys whose entries are rule ids (a mistyped one is named as such, not by the schema's
# pattern)
_RULE_LISTS = ("select", "ignore", "per-file-ignores", "severity")


def _where(path: Path) -> Path:
    """``path`` relative to the working folder when it is inside it (messages name no machine
    paths that the user did not type)."""
    try:
        return path.relative_to(Path.cwd())
    except ValueError:
        return path


def _without_the_value(message: str, instance: Any) -> str:
    """jsonschema's message quotes the offending value whole; a message quotes a token."""
    shown = repr(instance)
    return message.replace(shown, quoted(shown)) if len(shown) > MAX_QUOTED else message


def _check_rule_ids(path: Path, data: dict[str, Any], locate: Any) -> None:
    """A selector must name at least one rule: a typo must not silently select nothing."""
    from dindlint.catalogue import did_you_mean, names_a_rule

    places: list[tuple[list[Any], str]] = []
    for key in ("select", "ignore"):
        places += [([key, i], s) for i, s in enumerate(data.get(key, []))]
    places += [(["severity", rule], rule) for rule in data.get("severity", {})]
    for glob, selectors in data.get("per-file-ignores", {}).items():
        places += [(["per-file-ignores", glob, i], s) for i, s in enumerate(selectors)]
    for keys, selector in places:
        if selector == ALL and keys[0] != "severity":
            continue
        if not names_a_rule(selector):
            key = ".".join(str(k) for k in keys)
            raise ConfigError(
                f"{_where(path)}:{locate(keys)}: {key}: unknown rule id `{selector}`"
                f"{did_you_mean(selector)}"
            )


def _build(path: Path, data: dict[str, Any], locate: Any) -> Config:
    root = path.parent
    env = data.get("env-file", [])
    env_files = tuple(root / e for e in ([env] if isinstance(env, str) else env))
    images = tuple(data.get("images", ()))
    _check_images(path, images, locate)
    return Config(
        select=every_rule(data["select"]) if "select" in data else None,
        ignore=every_rule(data.get("ignore", ())),
        severity=dict(data.get("severity", {})),
        fail_on=data.get("fail-on"),
        exclude=tuple(data.get("exclude", ())),
        per_file_ignores={k: every_rule(v) for k, v in data.get("per-file-ignores", {}).items()},
        host_docker_gid=data.get("host-docker-gid"),
        images=images,
        env_files=env_files,
        gitlab_runner_env={str(k): str(v) for k, v in data.get("gitlab-runner-env", {}).items()},
        root=root,
        source=path,
    )


def _check_images(path: Path, images: tuple[dict[str, Any], ...], locate: Any) -> None:
    from dindlint.images.knowledge import validate_extra

    for index, entry in enumerate(images):
        problem = validate_extra(entry, images)
        if problem is not None:
            raise ConfigError(
                f"{_where(path)}:{locate(['images', index])}: images.{index}: {problem}"
            )


def resolve(explicit: Path | None, no_config: bool, start: Path) -> Config:
    """The configuration in force: ``--config`` > nearest file > none."""
    if explicit is not None:
        # read inside the run's boundary: the user's file, unless it lies in the repository
        if not is_input_file(explicit):
            raise ConfigError(f"{explicit}: no such configuration file")
        return load_config(Path(os.path.abspath(explicit)))
    if no_config:
        return Config()
    found = find_config(start.resolve())
    if found is None:
        return Config()
    with reading_within(found_config_boundary(found)):
        config = load_config(found)
        names_outside(found, config)
    return config


def names_outside(path: Path, config: Config) -> None:
    """Raise ``ConfigError`` when the configuration ``path`` (one of the repository's) names an
    env file outside the read boundary in force."""
    for env_file in config.env_files:
        if not inside_boundary(env_file):
            raise ConfigError(
                f"{_where(path)}: env-file `{env_file.name}` points outside the "
                "repository; a configuration in the repository may only name "
                "files inside it"
            )


def with_overrides(config: Config, **changes: Any) -> Config:
    """The configuration with command-line values laid over it (None: keep the file's)."""
    return config._replace(**{k: v for k, v in changes.items() if v is not None})
