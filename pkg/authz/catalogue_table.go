// Package authz is the one permission matrix of mlflowctl (DESIGN.md §3):
// the catalogue of every route the MLflow tracking server and AI gateway
// serve, each with a permission class; the groups → classes mapping; and
// what is generated from it: the execute-api IAM resources of the
// SageMaker execution roles, and the per-group statements the Lambda
// authorizer hands back for browser traffic.
package authz

// Permission classes. A route has exactly one.
const (
	ClassRead     = "read"
	ClassWrite    = "write"
	ClassRegistry = "registry"
	ClassGateway  = "gateway"
	ClassAdmin    = "admin"
)

// Classes lists every permission class, in order of privilege.
var Classes = []string{ClassRead, ClassWrite, ClassRegistry, ClassGateway, ClassAdmin}

// routeTable is the catalogue for every supported MLflow version (2.12.2
// and 3.18.0: the union of their tracking servers, and the 2.x AI gateway
// server), checked against the real servers by TestRouteCoverage.
//
// Columns: class, method, scope, path. Scope "both" serves the path under
// /api and under /ajax-api (the UI's twin), "api" and "ajax" under one of
// them, "root" as written, "probe" under /ajax-api for a path the UI asks
// for that no plain server serves (TestRouteCoverage checks it stays so).
// A class "a|b" is granted by either class. {name} is one path segment, {name+} any
// non-empty rest of the path (Flask's <path:...>).
//
// Why some rows have the class they have:
//   - POSTs that only read (searches, batchGetInfos, metrics, graphql,
//     presigned-download-url) are read.
//   - registry (the model approvers) is registering and promoting: create
//     registered models and versions, update descriptions, set and delete
//     tags and aliases, transition stages. Tags and aliases are how a
//     version is promoted in 3.x, so they stay with the approvers.
//   - deleting a registered model or a version is admin: it destroys what
//     "models:/<name>/..." URIs in use resolve to. Renaming stays with the
//     approvers: it is curation of the names they register, and the
//     versions, tags, aliases and artifacts move with the model (it does
//     break URIs using the old name; if that must be admin-only, moving it
//     also needs IAM policies that no longer fit the budget for a group
//     with read, write, registry and gateway: measured 8,259 > 8,192).
//   - prompts: in 3.x the prompt registry uses the same registered-models
//     and model-versions endpoints (a prompt is a registered model tagged
//     mlflow.prompt.is_prompt), so prompts follow the same decisions:
//     approvers create, version, tag, alias and rename them; admins delete
//     them. Linking prompts to traces is write.
//   - PATCH logged-models/{id}/tags is write|registry: mlflow.register_model
//     on 3.x sets the tag mlflow.model_versions on the logged model after
//     creating the version (tracking/_model_registry/fluent.py), and raises
//     on a 403, so approvers need it to register with the stock client.
//     It lets an approver set any tag on a logged model; tags change no
//     data or artifact.
//   - MCP server and skill registries are authored content like datasets
//     and scorers: write.
//   - admin: webhooks (even GET: they hold target URLs and secrets),
//     workspace changes, gateway secrets and gateway configuration changes,
//     the assistant (localhost-only in MLflow anyway), demo data, job
//     submission, 2.x gateway limits.
//   - read, though near admin routes, because the 3.x UI asks on every
//     page or before showing a page: GET gateway/secrets/config (two
//     flags saying whether secrets can be stored, no secret; MLflow's own
//     auth allows it to any signed-in user), GET assistant/config (MLflow
//     strips api keys from it and answers remote callers too) and GET
//     assistant/providers (which providers exist); everything else of the
//     assistant stays admin. GET users/current is a probe: only MLflow's
//     auth app serves it, the plain server answers 404, which the UI takes
//     as "no auth"; read, so readers see that 404 and not a 403.
//   - gateway: anything that calls a model provider (invocations, the 2.x
//     gateway proxy POST, scorer/evaluate/issue-detection invoke).
//   - ui-telemetry POST is read: every signed-in browser sends it and it
//     changes nothing users see.
//   - the bogus "/2.0mlflow/experiments/search-datasets" is a real rule of
//     3.x (a proto path without its leading "/"); listed so coverage holds.
const routeTable = `
read     GET    api  /2.0/endpoints/
admin    POST   api  /2.0/endpoints/limits/
read     GET    api  /2.0/endpoints/limits/{endpoint}
read     GET    api  /2.0/endpoints/{endpoint_name}
admin    POST   api  /2.0/gateway/limits/
read     GET    api  /2.0/gateway/limits/{endpoint}
read     GET    api  /2.0/gateway/routes/
read     GET    api  /2.0/gateway/routes/{route_name}
read     GET    root /
read     GET    both /2.0/mlflow-artifacts/artifacts
read     GET    both /2.0/mlflow-artifacts/artifacts/{artifact_path+}
write    DELETE both /2.0/mlflow-artifacts/artifacts/{artifact_path+}
write    PUT    both /2.0/mlflow-artifacts/artifacts/{artifact_path+}
write    POST   both /2.0/mlflow-artifacts/mpu/abort/{artifact_path+}
write    POST   both /2.0/mlflow-artifacts/mpu/complete/{artifact_path+}
write    POST   both /2.0/mlflow-artifacts/mpu/create/{artifact_path+}
read     GET    both /2.0/mlflow-artifacts/presigned/{artifact_path+}
read     GET    both /2.0/mlflow/artifacts/list
read     POST   both /2.0/mlflow/artifacts/presigned-download-url
write    POST   both /2.0/mlflow/artifacts/presigned-upload-url
write    POST   both /2.0/mlflow/experiments/create
write    POST   both /2.0/mlflow/experiments/delete
write    POST   both /2.0/mlflow/experiments/delete-experiment-tag
read     GET    both /2.0/mlflow/experiments/get
read     GET    both /2.0/mlflow/experiments/get-by-name
write    POST   both /2.0/mlflow/experiments/restore
read     GET    both /2.0/mlflow/experiments/search
read     POST   both /2.0/mlflow/experiments/search
read     POST   ajax /2.0/mlflow/experiments/search-datasets
write    POST   both /2.0/mlflow/experiments/set-experiment-tag
write    POST   both /2.0/mlflow/experiments/update
read     GET    ajax /2.0/mlflow/gateway-proxy
gateway  POST   ajax /2.0/mlflow/gateway-proxy
read     GET    both /2.0/mlflow/get-online-trace-details
read     GET    ajax /2.0/mlflow/get-trace-artifact
write    POST   both /2.0/mlflow/logged-models
read     POST   both /2.0/mlflow/logged-models/search
read     GET    both /2.0/mlflow/logged-models/{model_id}
write    DELETE both /2.0/mlflow/logged-models/{model_id}
write    PATCH  both /2.0/mlflow/logged-models/{model_id}
read     GET    both /2.0/mlflow/logged-models/{model_id}/artifacts/directories
read     GET    ajax /2.0/mlflow/logged-models/{model_id}/artifacts/files
write    POST   both /2.0/mlflow/logged-models/{model_id}/params
write|registry PATCH both /2.0/mlflow/logged-models/{model_id}/tags
write    DELETE both /2.0/mlflow/logged-models/{model_id}/tags/{tag_key}
read     GET    both /2.0/mlflow/metrics/get-history
read     GET    ajax /2.0/mlflow/metrics/get-history-bulk
read     GET    both /2.0/mlflow/metrics/get-history-bulk-interval
registry POST   both /2.0/mlflow/model-versions/create
admin    DELETE both /2.0/mlflow/model-versions/delete
registry DELETE both /2.0/mlflow/model-versions/delete-tag
read     GET    both /2.0/mlflow/model-versions/get
read     GET    both /2.0/mlflow/model-versions/get-download-uri
read     GET    both /2.0/mlflow/model-versions/search
registry POST   both /2.0/mlflow/model-versions/set-tag
registry POST   both /2.0/mlflow/model-versions/transition-stage
registry PATCH  both /2.0/mlflow/model-versions/update
read     GET    both /2.0/mlflow/registered-models/alias
registry DELETE both /2.0/mlflow/registered-models/alias
registry POST   both /2.0/mlflow/registered-models/alias
registry POST   both /2.0/mlflow/registered-models/create
admin    DELETE both /2.0/mlflow/registered-models/delete
registry DELETE both /2.0/mlflow/registered-models/delete-tag
read     GET    both /2.0/mlflow/registered-models/get
read     GET    both /2.0/mlflow/registered-models/get-latest-versions
read     POST   both /2.0/mlflow/registered-models/get-latest-versions
registry POST   both /2.0/mlflow/registered-models/rename
read     GET    both /2.0/mlflow/registered-models/search
registry POST   both /2.0/mlflow/registered-models/set-tag
registry PATCH  both /2.0/mlflow/registered-models/update
write    POST   both /2.0/mlflow/runs/create
write    POST   ajax /2.0/mlflow/runs/create-promptlab-run
write    POST   both /2.0/mlflow/runs/delete
write    POST   both /2.0/mlflow/runs/delete-tag
read     GET    both /2.0/mlflow/runs/get
write    POST   both /2.0/mlflow/runs/log-batch
write    POST   both /2.0/mlflow/runs/log-inputs
write    POST   both /2.0/mlflow/runs/log-metric
write    POST   both /2.0/mlflow/runs/log-model
write    POST   both /2.0/mlflow/runs/log-parameter
write    POST   both /2.0/mlflow/runs/outputs
write    POST   both /2.0/mlflow/runs/restore
read     POST   both /2.0/mlflow/runs/search
write    POST   both /2.0/mlflow/runs/set-tag
write    POST   both /2.0/mlflow/runs/update
read     GET    both /2.0/mlflow/traces
write    POST   both /2.0/mlflow/traces
write    POST   both /2.0/mlflow/traces/delete-traces
write    POST   both /2.0/mlflow/traces/link-prompts
write    POST   both /2.0/mlflow/traces/link-to-run
write    PATCH  both /2.0/mlflow/traces/{request_id}
read     GET    both /2.0/mlflow/traces/{request_id}/info
write    DELETE both /2.0/mlflow/traces/{request_id}/tags
write    PATCH  both /2.0/mlflow/traces/{request_id}/tags
read     GET    both /2.0/mlflow/unified-traces
write    POST   ajax /2.0/mlflow/upload-artifact
read     GET    probe /2.0/mlflow/users/current
admin    GET    both /2.0/mlflow/webhooks
admin    POST   both /2.0/mlflow/webhooks
admin    DELETE both /2.0/mlflow/webhooks/{webhook_id}
admin    GET    both /2.0/mlflow/webhooks/{webhook_id}
admin    PATCH  both /2.0/mlflow/webhooks/{webhook_id}
admin    POST   both /2.0/mlflow/webhooks/{webhook_id}/test
read     POST   both /2.0mlflow/experiments/search-datasets
admin    POST   ajax /3.0/jobs/
write    PATCH  ajax /3.0/jobs/cancel/{job_id}
read     POST   ajax /3.0/jobs/search
read     GET    ajax /3.0/jobs/{job_id}
read     GET    ajax /3.0/mlflow/assistant/config
admin    PUT    ajax /3.0/mlflow/assistant/config
admin    POST   ajax /3.0/mlflow/assistant/message
read     GET    ajax /3.0/mlflow/assistant/providers
admin    GET    ajax /3.0/mlflow/assistant/providers/{provider}/health
admin    GET    ajax /3.0/mlflow/assistant/providers/{provider}/models
admin    PATCH  ajax /3.0/mlflow/assistant/sessions/{session_id}
admin    POST   ajax /3.0/mlflow/assistant/sessions/{session_id}/permission
admin    GET    ajax /3.0/mlflow/assistant/sessions/{session_id}/stream
admin    POST   ajax /3.0/mlflow/assistant/sessions/{session_id}/tool-result
admin    POST   ajax /3.0/mlflow/assistant/skills/install
write    POST   both /3.0/mlflow/datasets/create
read     GET    both /3.0/mlflow/datasets/search
read     POST   both /3.0/mlflow/datasets/search
read     GET    both /3.0/mlflow/datasets/{dataset_id}
write    DELETE both /3.0/mlflow/datasets/{dataset_id}
write    POST   both /3.0/mlflow/datasets/{dataset_id}/add-experiments
read     GET    both /3.0/mlflow/datasets/{dataset_id}/experiment-ids
read     GET    both /3.0/mlflow/datasets/{dataset_id}/records
write    DELETE both /3.0/mlflow/datasets/{dataset_id}/records
write    POST   both /3.0/mlflow/datasets/{dataset_id}/records
write    POST   both /3.0/mlflow/datasets/{dataset_id}/remove-experiments
write    PATCH  both /3.0/mlflow/datasets/{dataset_id}/tags
write    DELETE both /3.0/mlflow/datasets/{dataset_id}/tags/{key}
admin    POST   ajax /3.0/mlflow/demo/delete
admin    POST   ajax /3.0/mlflow/demo/generate
admin    POST   both /3.0/mlflow/gateway/budgets/create
admin    DELETE both /3.0/mlflow/gateway/budgets/delete
read     GET    both /3.0/mlflow/gateway/budgets/get
read     GET    both /3.0/mlflow/gateway/budgets/list
admin    POST   both /3.0/mlflow/gateway/budgets/update
read     GET    both /3.0/mlflow/gateway/budgets/windows
admin    POST   both /3.0/mlflow/gateway/endpoints/bindings/create
admin    DELETE both /3.0/mlflow/gateway/endpoints/bindings/delete
read     GET    both /3.0/mlflow/gateway/endpoints/bindings/list
admin    POST   both /3.0/mlflow/gateway/endpoints/create
admin    DELETE both /3.0/mlflow/gateway/endpoints/delete
admin    DELETE both /3.0/mlflow/gateway/endpoints/delete-tag
read     GET    both /3.0/mlflow/gateway/endpoints/get
read     GET    both /3.0/mlflow/gateway/endpoints/list
admin    POST   both /3.0/mlflow/gateway/endpoints/models/attach
admin    POST   both /3.0/mlflow/gateway/endpoints/models/detach
admin    POST   both /3.0/mlflow/gateway/endpoints/set-tag
admin    POST   both /3.0/mlflow/gateway/endpoints/update
admin    POST   both /3.0/mlflow/gateway/guardrails/add-to-endpoint
admin    POST   both /3.0/mlflow/gateway/guardrails/create
admin    DELETE both /3.0/mlflow/gateway/guardrails/delete
read     GET    both /3.0/mlflow/gateway/guardrails/get
read     GET    both /3.0/mlflow/gateway/guardrails/list
read     GET    both /3.0/mlflow/gateway/guardrails/list-for-endpoint
admin    DELETE both /3.0/mlflow/gateway/guardrails/remove-from-endpoint
admin    PATCH  both /3.0/mlflow/gateway/guardrails/update-config
admin    POST   both /3.0/mlflow/gateway/model-definitions/create
admin    DELETE both /3.0/mlflow/gateway/model-definitions/delete
read     GET    both /3.0/mlflow/gateway/model-definitions/get
read     GET    both /3.0/mlflow/gateway/model-definitions/list
admin    POST   both /3.0/mlflow/gateway/model-definitions/update
read     GET    ajax /3.0/mlflow/gateway/provider-config
read     GET    ajax /3.0/mlflow/gateway/secrets/config
admin    POST   both /3.0/mlflow/gateway/secrets/create
admin    DELETE both /3.0/mlflow/gateway/secrets/delete
admin    GET    both /3.0/mlflow/gateway/secrets/get
admin    GET    both /3.0/mlflow/gateway/secrets/list
admin    POST   both /3.0/mlflow/gateway/secrets/update
read     GET    ajax /3.0/mlflow/gateway/supported-models
read     GET    ajax /3.0/mlflow/gateway/supported-providers
gateway  POST   ajax /3.0/mlflow/genai/evaluate/invoke
read     GET    ajax /3.0/mlflow/get-trace-artifact
write    POST   both /3.0/mlflow/issues
gateway  POST   ajax /3.0/mlflow/issues/invoke
write    POST   ajax /3.0/mlflow/issues/schedule/state
read     POST   both /3.0/mlflow/issues/search
read     GET    both /3.0/mlflow/issues/{issue_id}
write    PATCH  both /3.0/mlflow/issues/{issue_id}
write    PATCH  ajax /3.0/mlflow/jobs/cancel/{job_id}
read     GET    ajax /3.0/mlflow/jobs/{job_id}
write    POST   both /3.0/mlflow/label-schemas/create
write    DELETE both /3.0/mlflow/label-schemas/delete
read     GET    both /3.0/mlflow/label-schemas/get
read     GET    both /3.0/mlflow/label-schemas/get-by-name
read     GET    both /3.0/mlflow/label-schemas/list
write    PATCH  both /3.0/mlflow/label-schemas/update
read     GET    both /3.0/mlflow/mcp-servers
write    POST   both /3.0/mlflow/mcp-servers
read     GET    both /3.0/mlflow/mcp-servers/endpoints
read     GET    both /3.0/mlflow/mcp-servers/{name+}
write    DELETE both /3.0/mlflow/mcp-servers/{name+}
write    PATCH  both /3.0/mlflow/mcp-servers/{name+}
write    POST   both /3.0/mlflow/mcp-servers/{name+}/aliases
read     GET    both /3.0/mlflow/mcp-servers/{name+}/aliases/{alias+}
write    DELETE both /3.0/mlflow/mcp-servers/{name+}/aliases/{alias+}
read     GET    both /3.0/mlflow/mcp-servers/{name+}/endpoints
write    POST   both /3.0/mlflow/mcp-servers/{name+}/endpoints
read     GET    both /3.0/mlflow/mcp-servers/{name+}/endpoints/{endpoint_id}
write    DELETE both /3.0/mlflow/mcp-servers/{name+}/endpoints/{endpoint_id}
write    PATCH  both /3.0/mlflow/mcp-servers/{name+}/endpoints/{endpoint_id}
write    POST   both /3.0/mlflow/mcp-servers/{name+}/tags
write    DELETE both /3.0/mlflow/mcp-servers/{name+}/tags/{key+}
read     GET    both /3.0/mlflow/mcp-servers/{name+}/versions
write    POST   both /3.0/mlflow/mcp-servers/{name+}/versions
read     GET    both /3.0/mlflow/mcp-servers/{name+}/versions/{version+}
write    DELETE both /3.0/mlflow/mcp-servers/{name+}/versions/{version+}
write    PATCH  both /3.0/mlflow/mcp-servers/{name+}/versions/{version+}
write    POST   both /3.0/mlflow/mcp-servers/{name+}/versions/{version+}/tags
write    DELETE both /3.0/mlflow/mcp-servers/{name+}/versions/{version+}/tags/{key+}
write    POST   both /3.0/mlflow/prompt-optimization/jobs
read     GET    both /3.0/mlflow/prompt-optimization/jobs/search
read     POST   both /3.0/mlflow/prompt-optimization/jobs/search
read     GET    both /3.0/mlflow/prompt-optimization/jobs/{job_id}
write    DELETE both /3.0/mlflow/prompt-optimization/jobs/{job_id}
write    POST   both /3.0/mlflow/prompt-optimization/jobs/{job_id}/cancel
write    POST   both /3.0/mlflow/review-queues/create
write    POST   both /3.0/mlflow/review-queues/delete
read     GET    both /3.0/mlflow/review-queues/get
read     GET    both /3.0/mlflow/review-queues/get-by-name
write    POST   both /3.0/mlflow/review-queues/get-or-create-user
write    POST   both /3.0/mlflow/review-queues/items/add
read     GET    both /3.0/mlflow/review-queues/items/list
write    POST   both /3.0/mlflow/review-queues/items/remove
write    POST   both /3.0/mlflow/review-queues/items/set-status
read     GET    both /3.0/mlflow/review-queues/list
write    POST   both /3.0/mlflow/review-queues/update
gateway  POST   ajax /3.0/mlflow/scorer/invoke
write    DELETE both /3.0/mlflow/scorers/delete
read     GET    both /3.0/mlflow/scorers/get
read     GET    both /3.0/mlflow/scorers/list
write    PUT    both /3.0/mlflow/scorers/online-config
read     GET    both /3.0/mlflow/scorers/online-configs
write    POST   both /3.0/mlflow/scorers/register
read     GET    both /3.0/mlflow/scorers/versions
read     GET    both /3.0/mlflow/server-info
read     GET    both /3.0/mlflow/skills
write    POST   both /3.0/mlflow/skills
read     GET    both /3.0/mlflow/skills/@{organization}/{name}
write    DELETE both /3.0/mlflow/skills/@{organization}/{name}
write    PATCH  both /3.0/mlflow/skills/@{organization}/{name}
write    POST   both /3.0/mlflow/skills/@{organization}/{name}/aliases
read     GET    both /3.0/mlflow/skills/@{organization}/{name}/aliases/{alias}
write    DELETE both /3.0/mlflow/skills/@{organization}/{name}/aliases/{alias}
write    POST   both /3.0/mlflow/skills/@{organization}/{name}/tags
write    DELETE both /3.0/mlflow/skills/@{organization}/{name}/tags/{key+}
read     GET    both /3.0/mlflow/skills/@{organization}/{name}/versions
write    POST   both /3.0/mlflow/skills/@{organization}/{name}/versions
read     GET    both /3.0/mlflow/skills/@{organization}/{name}/versions/{version}
write    DELETE both /3.0/mlflow/skills/@{organization}/{name}/versions/{version}
write    PATCH  both /3.0/mlflow/skills/@{organization}/{name}/versions/{version}
write    POST   both /3.0/mlflow/skills/@{organization}/{name}/versions/{version}/tags
write    DELETE both /3.0/mlflow/skills/@{organization}/{name}/versions/{version}/tags/{key+}
write    POST   both /3.0/mlflow/skills/bulk-register
read     GET    both /3.0/mlflow/skills/{name}
write    DELETE both /3.0/mlflow/skills/{name}
write    PATCH  both /3.0/mlflow/skills/{name}
write    POST   both /3.0/mlflow/skills/{name}/aliases
read     GET    both /3.0/mlflow/skills/{name}/aliases/{alias}
write    DELETE both /3.0/mlflow/skills/{name}/aliases/{alias}
write    POST   both /3.0/mlflow/skills/{name}/tags
write    DELETE both /3.0/mlflow/skills/{name}/tags/{key+}
read     GET    both /3.0/mlflow/skills/{name}/versions
write    POST   both /3.0/mlflow/skills/{name}/versions
read     GET    both /3.0/mlflow/skills/{name}/versions/{version}
write    DELETE both /3.0/mlflow/skills/{name}/versions/{version}
write    PATCH  both /3.0/mlflow/skills/{name}/versions/{version}
write    POST   both /3.0/mlflow/skills/{name}/versions/{version}/tags
write    DELETE both /3.0/mlflow/skills/{name}/versions/{version}/tags/{key+}
write    POST   both /3.0/mlflow/traces
read     GET    both /3.0/mlflow/traces/batchGet
read     POST   both /3.0/mlflow/traces/batchGetInfos
read     POST   both /3.0/mlflow/traces/calculate-filter-correlation
write    POST   both /3.0/mlflow/traces/delete-traces
read     GET    both /3.0/mlflow/traces/get
read     POST   both /3.0/mlflow/traces/metrics
read     POST   both /3.0/mlflow/traces/search
read     GET    both /3.0/mlflow/traces/{trace_id}
write    POST   both /3.0/mlflow/traces/{trace_id}/assessments
read     GET    both /3.0/mlflow/traces/{trace_id}/assessments/{assessment_id}
write    DELETE both /3.0/mlflow/traces/{trace_id}/assessments/{assessment_id}
write    PATCH  both /3.0/mlflow/traces/{trace_id}/assessments/{assessment_id}
write    DELETE both /3.0/mlflow/traces/{trace_id}/tags
write    PATCH  both /3.0/mlflow/traces/{trace_id}/tags
read     GET    ajax /3.0/mlflow/ui-telemetry
read     POST   ajax /3.0/mlflow/ui-telemetry
read     GET    both /3.0/mlflow/workspaces
admin    POST   both /3.0/mlflow/workspaces
read     GET    both /3.0/mlflow/workspaces/{workspace_name}
admin    DELETE both /3.0/mlflow/workspaces/{workspace_name}
admin    PATCH  both /3.0/mlflow/workspaces/{workspace_name}
read     GET    root /build/{filename+}
read     GET    root /docs
gateway  POST   root /endpoints/{endpoint_name}/invocations
read     GET    root /favicon.ico
gateway  POST   root /gateway/anthropic/v1/messages
gateway  POST   root /gateway/gemini/v1beta/models/{endpoint_name}:generateContent
gateway  POST   root /gateway/gemini/v1beta/models/{endpoint_name}:streamGenerateContent
gateway  POST   root /gateway/mlflow/v1/chat/completions
read     GET    root /gateway/mlflow/v1/models
gateway  POST   root /gateway/openai/v1/chat/completions
gateway  POST   root /gateway/openai/v1/embeddings
gateway  POST   root /gateway/openai/v1/responses
gateway  POST   root /gateway/openai/v1/responses/compact
gateway  POST   root /gateway/proxy/{endpoint_name}/{path+}
gateway  POST   root /gateway/typesafe/v1/systemone
gateway  POST   root /gateway/{endpoint_name}/invocations
gateway  POST   root /gateway/{endpoint_name}/mlflow/invocations
read     GET    root /get-artifact
read     GET    root /graphql
read     POST   root /graphql
read     GET    root /health
read     GET    root /model-versions/get-artifact
read     GET    root /openapi.json
read     GET    root /redoc
read     GET    root /static-files/{path+}
write    POST   root /v1/traces
read     GET    root /version
`
