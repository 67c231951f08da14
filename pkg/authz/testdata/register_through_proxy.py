"""Register a model with the stock MLflow client as a model approver, through
a proxy that enforces the generated IAM policy (what API Gateway's AWS_IAM
does with the approver's SageMaker role), against a real `mlflow server`.

usage: python register_through_proxy.py POLICY_JSON GROUP
POLICY_JSON is templates/authorizer/testdata/iam-resources.json (pkg/authz's
IAMResources per default group). Prints JSON: {"registered": bool, "error":
str, "calls": [[method, path, allowed], ...]}. The run and its model are
logged directly against the server (as a writer would); only the
registration goes through the proxy. Everything binds 127.0.0.1.
"""
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

policy_file, group = sys.argv[1], sys.argv[2]
patterns = json.load(open(policy_file))["groups"][group]
# execute-api globs: "*" any run of characters ("/" included).
regexes = [re.compile("^" + re.escape(p).replace(r"\*", ".*") + "$", re.S) for p in patterns]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


tmp = tempfile.mkdtemp(prefix="mlflowctl-register-")
port = free_port()
server = subprocess.Popen(
    [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
     "--backend-store-uri", "sqlite:///" + os.path.join(tmp, "m.db"),
     "--artifacts-destination", os.path.join(tmp, "artifacts"), "--workers", "1"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp,
)
upstream = f"http://127.0.0.1:{port}"
calls = []


class Proxy(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def handle_any(self):
        path = self.path.split("?", 1)[0]
        allowed = any(r.match(f"{self.command}/{path[1:]}") for r in regexes)
        calls.append([self.command, path, allowed])
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not allowed:
            msg = b'{"message":"User is not authorized to access this resource"}'
            self.send_response(403)
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
            return
        req = urllib.request.Request(upstream + self.path, data=body or None, method=self.command)
        for k in ("Content-Type",):
            if self.headers.get(k):
                req.add_header(k, self.headers[k])
        try:
            res = urllib.request.urlopen(req, timeout=60)
            status, data, ctype = res.status, res.read(), res.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, data, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = handle_any


proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
threading.Thread(target=proxy.serve_forever, daemon=True).start()
out = {"registered": False, "error": "", "calls": calls}
try:
    for _ in range(240):
        try:
            urllib.request.urlopen(upstream + "/health", timeout=1)
            break
        except Exception:
            time.sleep(0.5)
    import mlflow
    import mlflow.pyfunc

    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input):
            return model_input

    mlflow.set_tracking_uri(upstream)
    with mlflow.start_run() as run:
        major = int(mlflow.__version__.split(".")[0])
        kw = {"name": "model"} if major >= 3 else {"artifact_path": "model"}
        mlflow.pyfunc.log_model(python_model=Echo(), pip_requirements=["mlflow"], **kw)
    mlflow.set_tracking_uri(f"http://127.0.0.1:{proxy.server_address[1]}")
    mv = mlflow.register_model(f"runs:/{run.info.run_id}/model", "approved-model")
    out["registered"] = str(mv.version) == "1"
except Exception as e:  # the client's own error, reported to the Go test
    out["error"] = f"{type(e).__name__}: {e}"[:2000]
finally:
    proxy.shutdown()
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
print("\nRESULT " + json.dumps(out))
