"""Create or upgrade MLflow's schema, one task at a time.

Run by entrypoint.py before the server starts, in its own process so the
memory of importing MLflow is returned before the server starts. Every task
of the service runs it when it starts; a PostgreSQL advisory lock makes them
take turns, so exactly one creates the tables of an empty database (two at
once die with UniqueViolation on alembic_version) or runs `mlflow db
upgrade`, and the others find the schema done. Credentials come from the
do_connect listener in site/sitecustomize.py, like the server's.

Environment: MLFLOW_BACKEND_STORE_URI (no password in it), ARTIFACT_ROOT,
MLFLOW_VERSION, GATEWAY_CONFIG (3.9+: AI gateway endpoints to create).
"""

import json
import os
import sys
import time

# pg_advisory_lock key: any constant every task agrees on ("mlflowctl" in ASCII).
LOCK_KEY = 0x6D6C666C6F77637C
GATEWAY_CONFIG_DEFAULT = "/opt/mlflowctl/gateway.json"


def log(msg):
    print("mlflowctl: " + msg, file=sys.stderr, flush=True)


def connect_with_retry(engine, attempts, wait):
    """A connection; Aurora may be resuming from a pause, so retry."""
    import sqlalchemy

    for attempt in range(1, attempts + 1):
        try:
            return engine.connect()
        except sqlalchemy.exc.OperationalError as exc:
            if attempt == attempts:
                raise
            # psycopg2's message names host, port and user, never the password.
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            log("database not reachable yet (%s); retrying" % reason)
            time.sleep(wait)


def migrate(uri, env, attempts=30, wait=5.0):
    import sqlalchemy
    from mlflow.store.db.utils import _upgrade_db
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    engine = sqlalchemy.create_engine(uri, poolclass=sqlalchemy.pool.NullPool)
    lock = connect_with_retry(engine, attempts, wait)
    try:
        lock.execute(sqlalchemy.text("SELECT pg_advisory_lock(:k)"), {"k": LOCK_KEY})
        lock.commit()
        with engine.connect() as conn:
            existing = sqlalchemy.inspect(conn).has_table("alembic_version")
        if existing:
            log("upgrading the database schema (mlflow db upgrade)")
            _upgrade_db(engine)
        else:
            log("new database: creating MLflow's tables")
        # Creates the tables of an empty database, checks the schema is at
        # MLflow's head revision and creates the Default experiment.
        SqlAlchemyStore(uri, env.get("ARTIFACT_ROOT", ""))
        log("database schema ready")
        seed_gateway(uri, env, env.get("MLFLOW_VERSION", ""))
    finally:
        try:
            lock.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
            lock.commit()
        finally:
            lock.close()
            engine.dispose()


def version_tuple(version):
    parts = []
    for piece in version.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts + [0] * (3 - len(parts)))


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
        log("AI gateway endpoints not created: %s" % type(exc).__name__)


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
        log("AI gateway endpoint %s -> bedrock/%s" % (endpoint["name"], endpoint["model"]))


def endpoint_exists(store, name):
    try:
        store.get_gateway_endpoint(name=name)
        return True
    except Exception:
        return False


def main():
    env = dict(os.environ)
    uri = env["MLFLOW_BACKEND_STORE_URI"]
    migrate(uri, env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
