"""bin/services.py: a DATABASE_URL naming a database its server lacks is created before the command runs."""

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def missing_database_url():
    base = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/infohub"))
    name = f"probe_{uuid.uuid4().hex[:12]}"
    admin = urlunsplit(base._replace(scheme="postgresql", path="/postgres"))
    yield urlunsplit(base._replace(path=f"/{name}")), admin, name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_missing_database_is_created_before_the_command(missing_database_url):
    url, _admin, name = missing_database_url
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1")}
    probe = "import os, psycopg; psycopg.connect(os.environ['DATABASE_URL'].replace('postgres://', 'postgresql://', 1)).close()"
    done = subprocess.run([sys.executable, "bin/services.py", "--", sys.executable, "-c", probe],
                          check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"created database {name}" in done.stderr
    again = subprocess.run([sys.executable, "bin/services.py", "--", "true"], cwd=ROOT, env=env, check=False,
                           capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "created database" not in again.stderr
