"""Deployment files: the compose file parses with a real compose parser, the Dockerfile installs the way
the Makefile and the README do, and the package carries the API and the web page."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO

COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"


def _compose_command() -> list[str]:
    found = shutil.which("docker-compose")
    if found is None:
        message = "docker-compose is missing (apt-get install docker-compose)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return [found]


def _compose_config(cwd: Path, *options: str) -> dict[str, Any]:
    """The file as the compose parser resolves it, with none of this shell's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CROSSCHECK_", "MINIO_"))}
    run = subprocess.run(
        [*_compose_command(), "-f", str(COMPOSE), *options, "config"],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    config: dict[str, Any] = yaml.safe_load(run.stdout)
    return config


def test_compose_file_is_valid_for_a_compose_parser(tmp_path: Path) -> None:
    config = _compose_config(tmp_path)
    service = config["services"]["crosscheck"]
    assert Path(service["build"]["context"]) == REPO
    assert service["volumes"] == ["crosscheck-index:/data:rw"]
    assert "crosscheck-index" in config["volumes"]
    assert any("/readyz" in part for part in service["healthcheck"]["test"])
    assert service["ports"] == ["127.0.0.1:8000:8000/tcp"]
    assert service["environment"]["CROSSCHECK_API_KEY"] == ""  # no key unless one is given: writes answer 403


MILVUS_SERVICES = {"etcd", "minio", "milvus", "crosscheck-milvus"}


def test_compose_profile_milvus_runs_milvus_standalone_with_the_service_pointed_at_it(tmp_path: Path) -> None:
    services = _compose_config(tmp_path, "--profile", "milvus")["services"]
    assert set(services) >= MILVUS_SERVICES
    for name in MILVUS_SERVICES:
        assert services[name].get("profiles") == ["milvus"], f"{name} runs only with the profile"
    assert "profiles" not in services["crosscheck"]  # `docker compose up` alone is unchanged
    for name in ("etcd", "minio", "milvus"):  # official images, pinned to a release
        image = services[name]["image"]
        assert re.fullmatch(
            r"(quay\.io/coreos/etcd|minio/minio|milvusdb/milvus):(v\d+\.\d+\.\d+|RELEASE\.[\dT-]+Z)", image
        )
    assert services["milvus"]["command"] == ["milvus", "run", "standalone"]
    assert set(services["milvus"]["depends_on"]) == {"etcd", "minio"}
    assert services["milvus"]["environment"]["ETCD_ENDPOINTS"] == "etcd:2379"
    assert services["milvus"]["environment"]["MINIO_ADDRESS"] == "minio:9000"
    service = services["crosscheck-milvus"]
    assert service["environment"]["CROSSCHECK_STORE"] == "milvus"
    assert service["environment"]["CROSSCHECK_MILVUS_URI"] == "http://milvus:19530"
    assert service["depends_on"]["milvus"]["condition"] == "service_healthy"
    assert service["image"] == services["crosscheck"]["image"] and service["build"] == services["crosscheck"]["build"]
    assert service["ports"] == ["127.0.0.1:8001:8000/tcp"]  # beside the default service, not on its port
    assert any("/readyz" in part for part in service["healthcheck"]["test"])


def test_compose_parser_rejects_a_broken_file(tmp_path: Path) -> None:
    """The check above means something: the same parser refuses a misspelt key."""
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("healthcheck:", "healthchek:"))
    run = subprocess.run([*_compose_command(), "-f", str(broken), "config"], capture_output=True, text=True)
    assert run.returncode != 0 and "healthchek" in run.stderr


def _dockerfile_runs() -> list[str]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    commands = []
    for line in text.splitlines():
        if line.startswith("RUN "):
            commands.extend(part.strip() for part in line[4:].split("&&"))
    return commands


def _makefile_commands() -> list[str]:
    text = (REPO / "Makefile").read_text()
    torch = re.search(r"^TORCH := (\S+)", text, re.M)
    assert torch
    lines = [line.strip() for line in text.splitlines() if line.startswith("\t")]
    return [line.replace("$(TORCH)", torch.group(1)).replace("$(BIN)/", "") for line in lines]


def _readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    block = re.search(r"To install without make.*?```bash\n(.*?)```", text, re.S)
    assert block, "the README shows the install steps"
    return [line.replace(".venv/bin/", "") for line in block.group(1).splitlines()]


def install_steps(commands: list[str]) -> list[tuple[tuple[str, ...], bool]]:
    """Each `pip install` as (what it installs, whether constraints.txt pins it); the package is '.'.

    Flags that only change where or how quietly pip works (--quiet, --index-url, -e) do not count,
    nor do settings before the command (CROSSCHECK_COMPILE=0) or a rebuild of the package alone
    (--no-deps: `make compile`).
    """
    steps = []
    for command in commands:
        words = shlex.split(command)
        while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
            words = words[1:]
        if words[:2] != ["pip", "install"] or "--upgrade" in words or "--no-deps" in words:
            continue
        targets, constrained, skip = [], False, False
        for word in words[2:]:
            if skip:
                skip = False
            elif word in {"-c", "--constraint"}:
                constrained, skip = True, True
            elif word in {"--index-url", "--extra-index-url"}:
                skip = True
            elif not word.startswith("-"):
                targets.append(word)
        steps.append((tuple(targets), constrained))
    return steps


def test_the_dockerfile_installs_as_the_makefile_and_the_readme_do() -> None:
    expected = [(("torch==2.13.0",), False), ((".",), True), ((".[dev,milvus]",), True)]
    # make installs the dev and milvus extras' requirements alone (written from pyproject.toml to
    # extras.txt): installing ".[dev,milvus]" would reinstall crosscheck over `make compile`'s
    # editable install, and the compiled engine's shared library would no longer be found
    # outside the checkout (tests/service/api/test_server.py runs the CLI from another directory)
    assert install_steps(_makefile_commands()) == [*expected[:2], (("$(VENV)/extras.txt",), True)]
    assert re.search(r"^EXTRAS := dev milvus$", (REPO / "Makefile").read_text(), re.M)
    assert install_steps(_readme_commands()) == expected[:2]
    # the image serves either store (docker-compose.yml's profile milvus runs it with CROSSCHECK_STORE=milvus)
    assert install_steps(_dockerfile_runs()) == [expected[0], ((".[milvus]",), True)]


def test_the_dockerfile_serves_the_index_from_the_volume() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.11-slim$", text, re.M)  # requires-python >= 3.11
    assert "CROSSCHECK_INDEX_DIR=/data/index" in text and 'VOLUME ["/data"]' in text
    assert "COPY seeds /opt/crosscheck-seeds" in text and "CROSSCHECK_SEEDS_DIR=/opt/crosscheck-seeds" in text
    assert "CROSSCHECK_HOST=0.0.0.0" in text
    assert re.search(r"HEALTHCHECK .*\n.*/readyz", text)
    assert 'ENTRYPOINT ["crosscheck"]' in text and 'CMD ["serve"]' in text
    assert "USER crosscheck" in text


def test_the_wheel_carries_the_api_and_the_web_page(tmp_path: Path) -> None:
    """What `pip install .` (the Dockerfile, the README) installs, not the editable checkout: all of it."""
    run = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), "."],
        cwd=REPO,
        env={**os.environ, "CROSSCHECK_COMPILE": "0"},  # the files, not the minutes mypyc takes
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    (wheel,) = tmp_path.glob("crosscheck-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    # every file of the two packages in the checkout, each subpackage's modules and data included
    tracked = subprocess.run(
        ["git", "ls-files", "index", "service"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "service/batch/cli.py" in tracked and "service/web/index.html" in tracked
    missing = sorted(set(tracked) - names)
    assert not missing, f"not in the wheel: {missing}"


def test_make_rebuilds_the_engine_when_a_compiled_module_changes() -> None:
    """`make compile` depends on the very modules setup.py compiles: both read one list."""
    sys.path.insert(0, str(REPO))
    try:
        import setup  # the build script; its setup() runs only as __main__
    finally:
        sys.path.remove(str(REPO))
    printed = subprocess.run(
        [
            "make",
            "-s",
            "--no-print-directory",
            "--eval",
            "print-engine: ; @echo $(ENGINE_LIST) $(ENGINE)",
            "print-engine",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    listing, *modules = printed.stdout.split()
    assert listing == setup.MODULES
    assert modules == setup.ENGINE and len(setup.ENGINE) >= 2
    assert all((REPO / module).is_file() for module in modules)


def _requirement_name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower()


def test_the_compile_needs_nothing_from_the_dev_extras() -> None:
    """`make run` on a fresh clone compiles the engine before the dev extras exist; mypyc type-checks
    what the engine imports, so every stub package mypy needs is a build requirement of its own, pinned
    as constraints.txt pins it (without types-tqdm the first `make run` failed after 20 minutes)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    build = {_requirement_name(r): r for r in project["build-system"]["requires"]}
    stubs = [
        _requirement_name(r)
        for r in project["project"]["optional-dependencies"]["dev"]
        if _requirement_name(r).startswith("types-") or _requirement_name(r).endswith("-stubs")
    ]
    assert stubs, "the dev extras hold the stubs mypy uses"
    pins = {
        _requirement_name(line): line.strip()
        for line in (REPO / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    for name in [*stubs, "mypy"]:
        assert name in build, f"{name} is needed to compile the engine but is not in [build-system] requires"
        assert build[name] == pins[name], f"{build[name]!r} in [build-system] requires, {pins[name]!r} pinned"
    # the Makefile compiles in pip's isolated build environment: those requirements are what it has
    compile_line = next(line for line in _makefile_commands() if "CROSSCHECK_COMPILE=1" in line)
    assert "--no-build-isolation" not in compile_line


def test_ci_runs_the_readme_run_command_before_the_tests() -> None:
    """CI serves the seeds with `make run` from the clean clone, checks a claim's verdict, then `make test`."""
    script = (REPO / ".ci" / "run").read_text()
    lines = [line.strip() for line in script.splitlines() if not line.lstrip().startswith("#")]
    run = next(i for i, line in enumerate(lines) if "make run" in line and "&" in line)
    ready = next(i for i, line in enumerate(lines) if "/readyz" in line)
    verdict = next(i for i, line in enumerate(lines) if "supported" in line and "verdict" in line)
    test = lines.index("make test")
    assert run < ready < verdict < test
    assert "PORT=" in lines[run]
    readme = (REPO / "README.md").read_text()
    assert "make run " in readme and "make test " in readme
