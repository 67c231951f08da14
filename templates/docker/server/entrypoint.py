"""Start the MLflow tracking server inside its container.

Everything secret arrives at run time: ECS injects the RDS-managed secret's
JSON into DB_SECRET from Secrets Manager. The database URI is built here,
with the username and password URL-encoded, and handed to MLflow through
the environment, never on a command line and never printed.

Environment (set by the task definition):
  DB_SECRET              {"username": ..., "password": ...} (host, port, dbname optional)
  DB_HOST, DB_PORT, DB_NAME   the Aurora endpoint (port 5432, name "mlflow" by default)
  ARTIFACT_ROOT          s3://bucket/prefix for run artifacts
  HOST, PORT, WORKERS    listen address (0.0.0.0) and port (5000), server workers (2)
  ALLOWED_HOSTS          MLflow >= 3.5: hosts the server answers (comma list: the
                         API Gateway host, the NLB and Cloud Map names); each also
                         matches with any port, and localhost is always added
  CORS_ALLOWED_ORIGINS   MLflow >= 3.5: origins allowed to write (the UI's)
  GATEWAY_CONFIG         MLflow >= 3.9: AI gateway endpoints to create (JSON file)

`entrypoint.py migrate` only upgrades the database schema and exits: the
one-off ECS task `mlflowctl up` runs once, with the service at zero, when
the MLflow version changes (pkg/upgrade).
"""

import json
import os
import sys
import time
import urllib.parse

GATEWAY_CONFIG_DEFAULT = "/opt/mlflowctl/gateway.json"


class StartupError(Exception):
    """A missing or malformed setting; the message never holds a secret."""


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


def database_uri(env):
    """postgresql URI from DB_SECRET and DB_HOST/DB_PORT/DB_NAME."""
    try:
        secret = json.loads(require(env, "DB_SECRET"))
    except ValueError:
        raise StartupError("DB_SECRET is not JSON: inject the whole RDS-managed secret") from None
    if not isinstance(secret, dict) or not secret.get("username") or not secret.get("password"):
        raise StartupError("DB_SECRET must hold username and password")
    host = env.get("DB_HOST") or secret.get("host")
    if not host:
        raise StartupError("DB_HOST is not set: the task definition must provide it")
    port = env.get("DB_PORT") or str(secret.get("port") or 5432)
    name = env.get("DB_NAME") or secret.get("dbname") or "mlflow"
    user = urllib.parse.quote(str(secret["username"]), safe="")
    password = urllib.parse.quote(str(secret["password"]), safe="")
    return "postgresql+psycopg2://%s:%s@%s:%s/%s" % (
        user,
        password,
        host,
        port,
        urllib.parse.quote(name, safe=""),
    )


def comma_list(value):
    return ",".join(item.strip() for item in value.split(",") if item.strip())


# Always answer requests addressed to the container itself (health checks,
# sidecars); ALLOWED_HOSTS replaces MLflow's default list, which has them.
LOCAL_HOSTS = ("localhost", "127.0.0.1")


def allowed_hosts(value):
    """ALLOWED_HOSTS plus the local names, each also with any port.

    MLflow matches the Host header, port included, with fnmatch patterns.
    """
    hosts = []
    for host in [h.strip() for h in value.split(",") if h.strip()] + list(LOCAL_HOSTS):
        for pattern in (host, host + ":*") if ":" not in host and "*" not in host else (host,):
            if pattern not in hosts:
                hosts.append(pattern)
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
        args += ["--gunicorn-opts", "--timeout 180 --graceful-timeout 30"]
    if v >= (3, 5, 0):
        hosts = env.get("ALLOWED_HOSTS", "")
        origins = comma_list(env.get("CORS_ALLOWED_ORIGINS", ""))
        if hosts.strip():
            args += ["--allowed-hosts", allowed_hosts(hosts)]
        if origins:
            args += ["--cors-allowed-origins", origins]
    return args


def upgrade_database(uri, attempts=30, wait=5.0):
    """`mlflow db upgrade`, run in-process so the URI is on no command line.

    An empty database is left to the server, which creates MLflow's tables on
    its first start: MLflow 2.x's `db upgrade` fails on an empty database.
    Aurora Serverless may be resuming from a pause: connecting is retried.
    """
    if not has_mlflow_schema(uri, attempts, wait):
        print("mlflowctl: new database: the server creates MLflow's tables", file=sys.stderr)
        return
    print("mlflowctl: upgrading the database schema (mlflow db upgrade)", file=sys.stderr)
    from mlflow.db import upgrade

    upgrade.main(args=[uri], prog_name="mlflow db upgrade", standalone_mode=False)


def has_mlflow_schema(uri, attempts, wait):
    import sqlalchemy

    engine = sqlalchemy.create_engine(uri, pool_pre_ping=True)
    try:
        for attempt in range(1, attempts + 1):
            try:
                with engine.connect() as conn:
                    return sqlalchemy.inspect(conn).has_table("alembic_version")
            except sqlalchemy.exc.OperationalError as exc:
                if attempt == attempts:
                    raise
                # psycopg2's message names host, port and user, never the password.
                reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
                print("mlflowctl: database not reachable yet (%s); retrying" % reason, file=sys.stderr)
                time.sleep(wait)
    finally:
        engine.dispose()
    return False


def seed_gateway(uri, env, version):
    """Create the configured AI gateway endpoints (MLflow >= 3.9 serves them)."""
    if version_tuple(version) < (3, 9, 0):
        return
    path = env.get("GATEWAY_CONFIG") or GATEWAY_CONFIG_DEFAULT
    if not os.path.exists(path):
        return
    with open(path) as f:
        config = json.load(f)
    try:
        create_gateway_endpoints(uri, env.get("ARTIFACT_ROOT", ""), config)
    except Exception as exc:  # the tracking server must start even if Bedrock setup fails
        print("mlflowctl: AI gateway endpoints not created: %s" % type(exc).__name__, file=sys.stderr)


def create_gateway_endpoints(uri, artifact_root, config):
    from mlflow.entities.gateway_endpoint import GatewayEndpointModelConfig, GatewayModelLinkageType
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(uri, artifact_root)
    region = config["bedrockRegion"]
    secret_name = "mlflowctl-bedrock-" + region
    existing = {s.secret_name: s for s in store.list_secret_infos(provider="bedrock")}
    secret = existing.get(secret_name) or store.create_gateway_secret(
        secret_name=secret_name,
        secret_value={},
        provider="bedrock",
        auth_config={"auth_mode": "default_chain", "aws_region_name": region},
        created_by="mlflowctl",
    )
    for endpoint in config["endpoints"]:
        if endpoint_exists(store, endpoint["name"]):
            continue
        model = store.create_gateway_model_definition(
            name=endpoint["name"] + "-" + endpoint["model"],
            secret_id=secret.secret_id,
            provider="bedrock",
            model_name=endpoint["model"],
            created_by="mlflowctl",
        )
        store.create_gateway_endpoint(
            name=endpoint["name"],
            model_configs=[
                GatewayEndpointModelConfig(
                    model_definition_id=model.model_definition_id,
                    linkage_type=GatewayModelLinkageType.PRIMARY,
                )
            ],
            created_by="mlflowctl",
        )
        print("mlflowctl: AI gateway endpoint %s -> bedrock/%s" % (endpoint["name"], endpoint["model"]), file=sys.stderr)


def endpoint_exists(store, name):
    try:
        store.get_gateway_endpoint(name=name)
        return True
    except Exception:
        return False


def main():
    env = dict(os.environ)
    version = env.get("MLFLOW_VERSION", "")
    try:
        uri = database_uri(env)
        args = server_args(env, version)
    except StartupError as exc:
        print("mlflowctl: cannot start the tracking server: %s" % exc, file=sys.stderr)
        return 2
    env.pop("DB_SECRET", None)
    upgrade_database(uri)
    if sys.argv[1:] == ["migrate"]:
        print("mlflowctl: database schema is at MLflow %s" % version, file=sys.stderr)
        return 0
    seed_gateway(uri, env, version)
    env["MLFLOW_BACKEND_STORE_URI"] = uri
    print("mlflowctl: mlflow " + " ".join(args), file=sys.stderr)
    os.execvpe("mlflow", ["mlflow"] + args, env)
    return 1


if __name__ == "__main__":
    sys.exit(main())
