"""Database credentials read per connection (imported by every Python
process of the tracking server container: /opt/mlflowctl/site is on
PYTHONPATH).

RDS rotates the managed master secret (every 7 days by default) and the old
password stops working at once. MLflow builds one engine from one URI, so a
password read at start breaks every later connection. Here the URI carries
no password: a SQLAlchemy do_connect listener puts the current one into each
new connection, read from Secrets Manager (DB_CREDENTIALS_ARN) and cached for
MLFLOWCTL_SECRET_TTL seconds; a refused login re-reads the secret at once
and tries again, then with the AWSPENDING version: during a rotation the
database has the new password before the secret's AWSCURRENT label moves
to it (createSecret, setSecret, testSecret, finishSecret). A login still refused after that is recorded in
MLFLOWCTL_DB_AUTH_FILE, which the container health check reads, so ECS
replaces a task that cannot reach its database; the next accepted login
removes the record.

Without DB_CREDENTIALS_ARN the secret is the JSON in DB_SECRET (images run
outside AWS, tests).
"""

import json
import os
import threading
import time

_lock = threading.Lock()
_cache = {"secret": None, "read": 0.0}


def read_secret(stage="AWSCURRENT"):
    """The secret's JSON ({"username": ..., "password": ...}) in stage; None
    when the secret has no version in that stage."""
    arn = os.environ.get("DB_CREDENTIALS_ARN", "")
    if not arn:
        return json.loads(os.environ["DB_SECRET"]) if stage == "AWSCURRENT" else None
    import boto3  # only the processes that connect pay for the import

    # The ARN names the region (arn:aws:secretsmanager:<region>:...): the
    # task need not set AWS_REGION.
    parts = arn.split(":")
    client = boto3.client("secretsmanager", region_name=parts[3] if len(parts) > 3 and parts[3] else None)
    try:
        value = client.get_secret_value(SecretId=arn, VersionStage=stage)
    except client.exceptions.ResourceNotFoundException:
        if stage == "AWSCURRENT":
            raise
        return None
    return json.loads(value["SecretString"])


def credentials(stage=None):
    """Cached credentials, or freshly read ones of stage (then cached)."""
    ttl = float(os.environ.get("MLFLOWCTL_SECRET_TTL") or 300)
    with _lock:
        now = time.monotonic()
        if stage is None and (_cache["secret"] is None or now - _cache["read"] > ttl):
            stage = "AWSCURRENT"
        if stage is not None:
            secret = read_secret(stage)
            if secret is None:
                return None
            _cache["secret"], _cache["read"] = secret, now
        secret = _cache["secret"]
    return str(secret["username"]), str(secret["password"])


def refused(exc):
    """A login PostgreSQL refused (wrong password or user), not an outage."""
    text = str(exc)
    return "password authentication failed" in text or "authentication failed for user" in text


def record_refusal(refusal):
    path = os.environ.get("MLFLOWCTL_DB_AUTH_FILE")
    if not path:
        return
    try:
        if refusal:
            with open(path, "w") as f:
                f.write("%d\n" % int(time.time()))
        elif os.path.exists(path):
            os.remove(path)
    except OSError:
        pass


def do_connect(dialect, conn_rec, cargs, cparams):
    """Connect with the current credentials; re-read them once if refused."""
    if dialect.name != "postgresql":
        return None  # not MLflow's database (SQLAlchemy connects as usual)
    cparams["user"], cparams["password"] = credentials()
    try:
        conn = dialect.connect(*cargs, **cparams)
    except Exception as exc:
        if not refused(exc):
            raise
        conn = connect_again(dialect, cargs, cparams, exc)
    record_refusal(False)
    return conn


def connect_again(dialect, cargs, cparams, exc):
    """After a refused login: the current secret read afresh, then the pending one."""
    for stage in ("AWSCURRENT", "AWSPENDING"):
        creds = credentials(stage)
        if creds is None:
            continue
        cparams["user"], cparams["password"] = creds
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception as again:
            if not refused(again):
                raise
            exc = again
    record_refusal(True)
    # The cache now holds what was read last; the next connection reads AWSCURRENT again.
    with _lock:
        _cache["secret"] = None
    raise exc


def install():
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    event.listen(Engine, "do_connect", do_connect)


if os.environ.get("MLFLOWCTL_DB_CREDENTIALS") == "per-connection":
    install()
