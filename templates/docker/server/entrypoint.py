"""PID 1 of the MLflow tracking server container.

It stays small (no MLflow import: its memory would be held for the task's
life) and does three things:

1. Migrate: migrate.py creates or upgrades MLflow's schema under a
   PostgreSQL advisory lock, so tasks starting together take turns.
2. Serve: `mlflow server` runs in its own process group, with the process
   model chosen for this MLflow version (server_env).
3. Stop: SIGTERM and SIGINT are forwarded to the server's process group and
   the container exits when the server has, or after STOP_GRACE seconds
   with SIGKILL. A PID 1 without a handler ignores SIGTERM, and ECS then
   waits its whole stop timeout on every deployment and scale-in.

No secret is on a command line, in this process's output or in the
database URI: site/sitecustomize.py puts the credentials into each new
database connection (they rotate).

Environment (set by the task definition):
  DB_CREDENTIALS_ARN          the RDS-managed secret, read per connection (task role)
  DB_SECRET              or its JSON, fixed (outside AWS; ECS may also inject it)
  DB_HOST, DB_PORT, DB_NAME   the Aurora endpoint (port 5432, name "mlflow" by default)
  ARTIFACT_ROOT          s3://bucket/prefix for run artifacts
  HOST, PORT, WORKERS    listen address (0.0.0.0) and port (5000), server workers (2)
  ALLOWED_HOSTS          MLflow >= 3.5: hosts the server answers (comma list: the
                         API Gateway host, the NLB and Cloud Map names); each
                         matches in any letter case and with any port, and
                         localhost is always added
  CORS_ALLOWED_ORIGINS   MLflow >= 3.5: origins allowed to write (the UI's)
  GATEWAY_CONFIG         MLflow >= 3.9: AI gateway endpoints to create (JSON file)
  STOP_GRACE             seconds the server gets to stop after SIGTERM (20)

`entrypoint.py migrate` only brings the database schema up (under the same
advisory lock) and exits: the one-off ECS task pkg/upgrade runs once, with
the service at zero, for a change of MLflow version.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
# Where the do_connect hook records a refused login; healthcheck.py reads it.
DB_AUTH_FILE = "/tmp/mlflowctl-db-auth-refused"


class StartupError(Exception):
    """A missing or malformed setting; the message never holds a secret."""


def log(msg):
    print("mlflowctl: " + msg, file=sys.stderr, flush=True)


def version_tuple(version):
    parts = []
    for piece in version.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    while len(parts) < 3:
        parts.append(0)
    return tuple(parts)


def require(env, key):
    value = env.get(key, "").strip()
    if not value:
        raise StartupError("%s is not set: the task definition must provide it" % key)
    return value


def check_secret(env):
    """DB_CREDENTIALS_ARN, or a DB_SECRET holding username and password."""
    if env.get("DB_CREDENTIALS_ARN", "").strip():
        return
    try:
        secret = json.loads(require(env, "DB_SECRET"))
    except StartupError:
        raise StartupError("DB_CREDENTIALS_ARN is not set: the task definition must provide it") from None
    except ValueError:
        raise StartupError("DB_SECRET is not JSON: inject the whole RDS-managed secret") from None
    if not isinstance(secret, dict) or not secret.get("username") or not secret.get("password"):
        raise StartupError("DB_SECRET must hold username and password")


def database_uri(env):
    """postgresql URI of DB_HOST/DB_PORT/DB_NAME, without credentials."""
    host = require(env, "DB_HOST")
    port = env.get("DB_PORT") or "5432"
    name = env.get("DB_NAME") or "mlflow"
    return "postgresql+psycopg2://%s:%s/%s" % (host, port, urllib.parse.quote(name, safe=""))


def comma_list(value):
    return ",".join(item.strip() for item in value.split(",") if item.strip())


# Always answer requests addressed to the container itself (health checks,
# sidecars); ALLOWED_HOSTS replaces MLflow's default list, which has them.
LOCAL_HOSTS = ("localhost", "127.0.0.1")


def any_case(host, exact_end):
    """An fnmatch pattern matching host in any letter case.

    MLflow compares a pattern without '*' to the Host header exactly and
    matches one with '*' by fnmatch, which is case-sensitive on Linux; Host
    names are not (RFC 9110 4.2.3), and the NLB's DNS name that
    CloudFormation makes may hold capitals. Each letter becomes [xX]; for
    an exact name the last class also holds '*', which puts the pattern on
    MLflow's fnmatch path while matching only that name (or a literal '*').
    """
    out = []
    for ch in host:
        out.append("[%s%s]" % (ch.lower(), ch.upper()) if ch.isalpha() else ch)
    if exact_end and out:
        last = out[-1]
        out[-1] = last[:-1] + "*]" if last.startswith("[") else "[%s*]" % last
    return "".join(out)


def allowed_hosts(value):
    """ALLOWED_HOSTS in any letter case, each also with any port, plus localhost."""
    hosts = []

    def add(pattern):
        if pattern not in hosts:
            hosts.append(pattern)

    for host in [h.strip() for h in value.split(",") if h.strip()]:
        if "*" in host or ":" in host:
            add(any_case(host, exact_end=False))
        else:
            add(any_case(host, exact_end=True))
            add(any_case(host, exact_end=False) + ":*")
    for host in LOCAL_HOSTS:
        add(host)
        add(host + ":*")
    return ",".join(hosts)


def server_args(env, version):
    """The `mlflow server` arguments for this MLflow version (no secret in them)."""
    args = [
        "server",
        "--host", env.get("HOST") or "0.0.0.0",
        "--port", env.get("PORT") or "5000",
        "--default-artifact-root", require(env, "ARTIFACT_ROOT"),
        "--workers", env.get("WORKERS") or "2",
    ]
    v = version_tuple(version)
    if v < (3, 0, 0):
        # 2.x serves with gunicorn; long artifact listings need more than 30 s.
        args += ["--gunicorn-opts", "--timeout 180 --graceful-timeout %d" % stop_grace(env)]
    if v >= (3, 5, 0):
        hosts = env.get("ALLOWED_HOSTS", "")
        origins = comma_list(env.get("CORS_ALLOWED_ORIGINS", ""))
        if hosts.strip():
            args += ["--allowed-hosts", allowed_hosts(hosts)]
        if origins:
            args += ["--cors-allowed-origins", origins]
    return args


def stop_grace(env):
    return int(env.get("STOP_GRACE") or 20)


def server_env(env, version, uri):
    """The environment of the migrator and the server.

    - Credentials per connection (site/sitecustomize.py), no password in the URI.
    - No pooled connections: an idle server holds no database connection,
      so Aurora Serverless v2 can auto-pause (it pauses only with none open).
    - MLflow 3.x: no job runner. Its default starts a job runner and huey
      consumer processes (about 2 GiB summed PSS at idle, measured, in a
      2 GiB task) and periodic tasks that query the database every minute
      on every replica. With job execution off there are no periodic tasks.
    """
    out = dict(env)
    if env.get("DB_CREDENTIALS_ARN"):
        out.pop("DB_SECRET", None)  # read from Secrets Manager instead
    site = os.path.join(HERE, "site")
    out["PYTHONPATH"] = site + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    out["MLFLOWCTL_DB_CREDENTIALS"] = "per-connection"
    out.setdefault("MLFLOWCTL_DB_AUTH_FILE", DB_AUTH_FILE)
    out["MLFLOW_BACKEND_STORE_URI"] = uri
    out.setdefault("MLFLOW_SQLALCHEMYSTORE_POOLCLASS", "NullPool")
    if version_tuple(version) >= (3, 0, 0):
        out.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
        out.setdefault("MLFLOW_SERVER_JOB_ENABLE_PERIODIC_TASKS", "false")
    return out


class Supervisor:
    """Runs children in their own process groups and forwards stop signals."""

    def __init__(self, grace):
        self.grace = grace
        self.child = None
        self.stopping_since = None
        signal.signal(signal.SIGTERM, self.on_signal)
        signal.signal(signal.SIGINT, self.on_signal)

    def on_signal(self, signum, frame):
        if self.stopping_since is None:
            self.stopping_since = time.monotonic()
            log("signal %d: stopping the server" % signum)
        if self.child is not None:
            try:
                os.killpg(self.child.pid, signum)
            except ProcessLookupError:
                pass

    def run(self, argv, env):
        """Run argv to its end; its exit status (128+n for signal n)."""
        if self.stopping_since is not None:
            return 128 + signal.SIGTERM
        self.child = subprocess.Popen(argv, env=env, start_new_session=True)
        while True:
            status = self.reap()
            if status is not None:
                self.kill_group()
                return status
            if self.stopping_since is not None and time.monotonic() - self.stopping_since > self.grace:
                log("the server did not stop in %d s: killing it" % self.grace)
                self.kill_group(signal.SIGKILL)
            time.sleep(0.05)

    def reap(self):
        """The child's status once it has exited; reaps orphans (PID 1's job)."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return 1
            if pid == 0:
                return None
            if pid == self.child.pid:
                return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)

    def kill_group(self, sig=signal.SIGKILL):
        """Whatever is left of the child's process group."""
        try:
            os.killpg(self.child.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def main():
    env = dict(os.environ)
    version = env.get("MLFLOW_VERSION", "")
    try:
        check_secret(env)
        uri = database_uri(env)
        args = server_args(env, version)
        grace = stop_grace(env)
    except (StartupError, ValueError) as exc:
        log("cannot start the tracking server: %s" % exc)
        return 2
    child_env = server_env(env, version, uri)
    sup = Supervisor(grace)
    status = sup.run([sys.executable, os.path.join(HERE, "migrate.py")], child_env)
    if status != 0:
        log("the database schema is not ready (exit %d)" % status)
        return 0 if sup.stopping_since is not None else 1
    if sys.argv[1:] == ["migrate"]:
        log("database schema is at MLflow %s" % version)
        return 0
    log("mlflow " + " ".join(args))
    status = sup.run(["mlflow"] + args, child_env)
    if sup.stopping_since is not None:
        log("stopped in %.1f s" % (time.monotonic() - sup.stopping_since))
        return 0
    log("the server exited (%d)" % status)
    return status or 1


if __name__ == "__main__":
    sys.exit(main())
