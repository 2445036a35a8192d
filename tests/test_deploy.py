"""The deployment files: Dockerfile, compose.yaml and the systemd unit say what Citebot needs.

No container engine runs here, so the files are read, not run: the image's install step
is the README's and builds from exactly what the Dockerfile copies, the compose file
parses and wires the bot to its database, the unit starts `citebot run` as a plain user.
"""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import yaml
from support import run_citebot

from bot import health
from bot.cli import EXIT_ERROR
from bot.client import PERMISSIONS
from bot.settings import Settings

REPO = Path(__file__).resolve().parent.parent


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (continuation lines joined), as (INSTRUCTION, rest)."""
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def env_of(steps: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction, rest in steps:
        if instruction == "ENV":
            for pair in rest.split():
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def test_the_image_is_slim_runs_as_a_plain_user_with_data_and_corpus_volumes():
    steps = dockerfile()
    instructions = [i for i, _ in steps]
    base = steps[0]
    assert base[0] == "FROM" and base[1].startswith("python:") and base[1].endswith("-slim")
    user = [rest for i, rest in steps if i == "USER"]
    assert user and user[-1] not in ("root", "0")
    assert instructions.index("USER") > max(
        n for n, (i, rest) in enumerate(steps) if i == "RUN" and "pip install" in rest
    )
    env = env_of(steps)
    (volumes,) = [rest for i, rest in steps if i == "VOLUME"]
    assert env["CITEBOT_DATA_DIR"] in volumes and env["CITEBOT_CORPUS_DIR"] in volumes
    (check,) = [rest for i, rest in steps if i == "HEALTHCHECK"]
    assert check.endswith('CMD ["citebot", "health"]')
    assert steps[-1] == ("CMD", '["citebot", "run"]')


def test_the_image_installs_as_the_readme_says_from_only_what_it_copies(tmp_path: Path):
    readme = (REPO / "README.md").read_text()
    (install,) = [rest for i, rest in dockerfile() if i == "RUN" and "pip install" in rest]
    assert f"{install} && citebot ask" in readme  # the Quick start's install step
    context = tmp_path / "context"
    for instruction, rest in dockerfile():
        if instruction == "COPY" and not rest.startswith("corpus"):
            *sources, _ = rest.split()
            for source in sources:
                target = context / source
                if (REPO / source).is_dir():
                    shutil.copytree(
                        REPO / source, target, ignore=shutil.ignore_patterns("__pycache__")
                    )
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(REPO / source, target)

    # The build `pip install .` runs (setuptools' PEP 517 backend), from that context alone.
    built = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))",
            str(tmp_path / "dist"),
        ],
        cwd=context,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert built.returncode == 0, built.stderr
    sdist = tmp_path / "dist" / built.stdout.split()[-1]
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        (entry_points,) = [n for n in names if n.endswith("egg-info/entry_points.txt")]
        declared = archive.extractfile(entry_points).read().decode()  # type: ignore[union-attr]
    assert any(n.endswith("/bot/database.py") for n in names)
    assert any(n.endswith("/bot/cli.py") for n in names)
    assert "citebot = bot.cli:main" in declared


def test_compose_runs_the_bot_against_its_postgresql_once_it_is_healthy():
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    bot, db = compose["services"]["bot"], compose["services"]["db"]

    assert db["image"] == "postgres:15"  # the major version the tests run against
    assert bot["build"] == "."
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    url = bot["environment"]["CITEBOT_DATABASE_URL"].replace("${POSTGRES_PASSWORD}", "pw")
    assert url == "postgresql://citebot:pw@db:5432/citebot"
    settings = Settings.from_env(bot["environment"] | {"CITEBOT_DATABASE_URL": url}, dotenv=False)
    mounted = {volume.split(":")[1] for volume in bot["volumes"]}
    assert {str(settings.data_dir), str(settings.corpus_dir)} == mounted
    assert {str(settings.data_dir), str(settings.corpus_dir)} == {
        env_of(dockerfile())["CITEBOT_DATA_DIR"],
        env_of(dockerfile())["CITEBOT_CORPUS_DIR"],
    }
    named = {volume.split(":")[0] for volume in bot["volumes"] + db["volumes"]}
    assert named <= set(compose["volumes"])


def test_the_systemd_unit_runs_citebot_as_a_plain_user_and_stops_retrying_a_bad_token():
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(REPO / "deploy" / "citebot.service")
    service = unit["Service"]

    assert service["ExecStart"].endswith("/bin/citebot run")
    assert service["User"] not in ("root", "0")
    assert service["KillSignal"] == "SIGTERM"
    assert service["RestartPreventExitStatus"] == str(EXIT_ERROR)
    data_dir = dict(pair.split("=", 1) for pair in service["Environment"].split())[
        "CITEBOT_DATA_DIR"
    ]
    assert data_dir in service["ReadWritePaths"].split()
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_readme_systemd_steps_put_the_articles_where_the_unit_reads_them():
    """Followed literally, the steps must start a bot: without articles in the unit's corpus
    folder it stops at once (exit 2, which the unit does not restart)."""
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(REPO / "deploy" / "citebot.service")
    service = unit["Service"]
    env = dict(pair.split("=", 1) for pair in service["Environment"].split())
    readme = (REPO / "README.md").read_text()
    start = readme.index("**systemd**")
    steps = readme[start : readme.index("```\n", readme.index("```console", start) + 10)]

    assert service["ExecStart"].split()[0].removesuffix("citebot") + "pip install ." in steps
    assert env["CITEBOT_CORPUS_DIR"] in steps
    assert f"chown -R {service['User']}:{service['Group']} {env['CITEBOT_DATA_DIR']}" in steps


def test_the_readme_setup_names_every_permission_the_bot_needs_where_it_posts():
    """The Developer Portal steps are the admin's checklist: a permission the bot checks
    before posting (a thread, a forum post) and that they leave out silently costs replies."""
    code = "\n".join(
        path.read_text()
        for path in (REPO / "bot").rglob("*.py")
        if path.name != "admin.py"  # there: the member's own Manage Server, named elsewhere
    )
    checked = set(re.findall(r"permissions\.([a-z_]+)", code))
    invite = re.search(r"PERMISSIONS = discord\.Permissions\(([^)]*)\)", code)
    assert invite is not None and checked
    checked |= set(re.findall(r"([a-z_]+)=True", invite.group(1)))
    readme = (REPO / "README.md").read_text()
    setup = readme[readme.index("### 1. Create the application") : readme.index("### 2. Configure")]
    setup = " ".join(setup.split())  # Markdown reads a line break as a space
    names = {" ".join(w if w == "in" else w.capitalize() for w in p.split("_")) for p in checked}
    assert {"Send Messages", "Embed Links"} <= names
    assert [name for name in sorted(names) if f"**{name}**" not in setup] == []


def test_the_invite_asks_for_every_permission_the_bot_checks_before_posting():
    """A server added with the logged invite link gives the bot's role all it checks for,
    so threads, forum posts and mention-threads work without the admin adding any."""
    code = "\n".join(
        path.read_text() for path in (REPO / "bot").rglob("*.py") if path.name != "admin.py"
    )
    checked = set(re.findall(r"permissions\.([a-z_]+)", code))
    invite = {name for name, granted in PERMISSIONS if granted}

    assert checked and sorted(checked - invite) == []


def test_health_is_0_while_the_bot_beats_and_1_before_or_after(tmp_path: Path):
    data = tmp_path / "data"
    env = {"CITEBOT_DATA_DIR": str(data)}

    never = run_citebot("health", cwd=tmp_path, env=env)
    health.beat(data)
    fresh = run_citebot("health", cwd=tmp_path, env=env)
    health.beat(data, now=time.time() - health.MAX_AGE - 5)
    stale = run_citebot("health", cwd=tmp_path, env=env)

    assert (never.returncode, fresh.returncode, stale.returncode) == (1, 0, 1)
    assert never.stdout.startswith("unhealthy: no heartbeat")
    assert fresh.stdout.startswith("healthy")
    assert "is not connected" in stale.stdout
