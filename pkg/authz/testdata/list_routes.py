"""Print every route a real MLflow tracking server registers, as JSON.
With --gateway, also those of the 2.x AI gateway server.

Run with the python of a venv that has mlflow installed. Output: a list of
{"method", "path", "source"} sorted by path then method. Flask rules come
from the app's url_map; on 3.x the default server is FastAPI with the Flask
app mounted at "/", so FastAPI's own routes are listed too. HEAD and OPTIONS
are added by the frameworks to every rule and are left out.
"""
import json
import os
import sys
import tempfile

# The server module reads its stores from the environment at import time;
# point them at a throwaway directory so nothing touches the working tree.
tmp = tempfile.mkdtemp(prefix="mlflow-routes-")
os.environ.setdefault("_MLFLOW_SERVER_FILE_STORE", "sqlite:///" + os.path.join(tmp, "m.db"))
os.environ.setdefault("_MLFLOW_SERVER_ARTIFACT_ROOT", os.path.join(tmp, "artifacts"))
os.environ.setdefault("_MLFLOW_SERVER_SERVE_ARTIFACTS", "true")
os.environ.setdefault("MLFLOW_TRACKING_URI", "sqlite:///" + os.path.join(tmp, "m.db"))

SKIP = {"HEAD", "OPTIONS"}
routes = set()


def add_flask(app, source):
    for rule in app.url_map.iter_rules():
        for m in sorted(set(rule.methods or ()) - SKIP):
            routes.add((m, rule.rule, source))


def add_starlette(app, prefix=""):
    from starlette.routing import Mount, Route, WebSocketRoute

    for r in app.routes:
        included = getattr(r, "original_router", None)
        if included is not None:
            # FastAPI >= 0.16x keeps included routers lazily, with their prefix.
            inner = prefix + (getattr(r.include_context, "prefix", "") or "")
            add_starlette(included, inner)
            low = getattr(included, "_low_priority_routes", [])
            if low:
                add_starlette(type("R", (), {"routes": low})(), inner)
        elif isinstance(r, Mount):
            inner = getattr(r.app, "flask_app", None) or getattr(r.app, "app", None) or r.app
            if hasattr(inner, "url_map"):
                add_flask(inner, "flask")
            elif hasattr(r, "routes") and r.routes:
                add_starlette(r, prefix + r.path)
            else:
                print(f"unhandled mount {r.path!r}: {type(r.app)!r}", file=sys.stderr)
                sys.exit(1)
        elif isinstance(r, WebSocketRoute):
            routes.add(("WEBSOCKET", prefix + r.path, "fastapi"))
        elif isinstance(r, Route):
            for m in sorted(set(r.methods or ()) - SKIP):
                routes.add((m, prefix + r.path, "fastapi"))


try:
    from mlflow.server.fastapi_app import app as fastapi_app
except ImportError:
    fastapi_app = None

if fastapi_app is not None:
    add_starlette(fastapi_app)
else:
    from mlflow.server import app as flask_app

    add_flask(flask_app, "flask")

if "--gateway" in sys.argv[1:]:
    # The 2.x AI gateway is its own server whose invocation routes are made
    # per configured endpoint; one endpoint named ENDPOINT stands for all.
    from mlflow.gateway.app import create_app_from_config
    from mlflow.gateway.config import GatewayConfig

    server_routes, routes = routes, set()
    model = {"provider": "bedrock", "name": "m", "config": {"aws_config": {"aws_region": "us-east-1"}}}
    cfg = GatewayConfig(endpoints=[{"name": "ENDPOINT", "endpoint_type": "llm/v1/chat", "model": model}])
    add_starlette(create_app_from_config(cfg))
    routes = server_routes | {(m, p.replace("/ENDPOINT/", "/{endpoint_name}/"), "gateway") for m, p, _ in routes}

out = [{"method": m, "path": p, "source": s} for m, p, s in sorted(routes, key=lambda t: (t[1], t[0], t[2]))]
json.dump(out, sys.stdout, indent=1)
print()
