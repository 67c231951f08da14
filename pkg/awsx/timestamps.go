package awsx

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// epochTimestamps lets the CodeBuild client read responses from
// AWS-compatible endpoints (moto_server among them) that write timestamps
// as ISO-8601 strings where AWS's JSON protocol sends epoch seconds: it
// rewrites such strings before the SDK decodes the body. Clients adds it
// only under Emulator.CodeBuildTimestamps; AWS's own responses never go through it.
func epochTimestamps(stack *middleware.Stack) error {
	return stack.Deserialize.Insert(middleware.DeserializeMiddlewareFunc("mlflowctlEpochTimestamps",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if err != nil {
				return out, md, err
			}
			if resp, ok := out.RawResponse.(*smithyhttp.Response); ok && resp.StatusCode == 200 && resp.Body != nil {
				body, rerr := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				if rerr != nil {
					return out, md, rerr
				}
				resp.Body = io.NopCloser(bytes.NewReader(fixTimestamps(body)))
			}
			return out, md, nil
		}), "OperationDeserializer", middleware.After)
}

func fixTimestamps(body []byte) []byte {
	var doc any
	if json.Unmarshal(body, &doc) != nil {
		return body
	}
	changed := false
	doc = epochTimes(doc, "", &changed)
	if !changed {
		return body
	}
	fixed, err := json.Marshal(doc)
	if err != nil {
		return body
	}
	return fixed
}

// epochTimes turns timestamp strings under *Time, created and lastModified
// keys (CodeBuild's timestamp members) into epoch seconds.
func epochTimes(v any, key string, changed *bool) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			x[k] = epochTimes(val, k, changed)
		}
	case []any:
		for i, val := range x {
			x[i] = epochTimes(val, key, changed)
		}
	case string:
		if strings.HasSuffix(key, "Time") || key == "created" || key == "lastModified" {
			for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000", "2006-01-02T15:04:05"} {
				if ts, err := time.Parse(layout, x); err == nil {
					*changed = true
					return float64(ts.UnixMilli()) / 1000
				}
			}
		}
	}
	return v
}
