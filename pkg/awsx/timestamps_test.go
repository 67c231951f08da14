package awsx

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestFixTimestamps(t *testing.T) {
	aws := []byte(`{"build":{"id":"p:1","startTime":1.7e9,"phases":[{"phaseType":"BUILD","endTime":1.7e9}]}}`)
	if got := fixTimestamps(aws); !bytes.Equal(got, aws) {
		t.Fatalf("an AWS body was rewritten: %s", got)
	}
	moto := []byte(`{"build":{"id":"p:1","startTime":"2026-11-26T14:00:00.000Z","phases":[{"phaseType":"BUILD","endTime":"2026-11-26T14:00:01.5Z"}],"sourceVersion":"2026-11-26T14:00:00Z"}}`)
	got := string(fixTimestamps(moto))
	start := time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC).Unix()
	for _, want := range []string{fmt.Sprintf(`"startTime":%d`, start), fmt.Sprintf(`"endTime":%d.5`, start+1), `"sourceVersion":"2026-11-26T14:00:00Z"`} {
		if !strings.Contains(got, want) {
			t.Errorf("%s lacks %s", got, want)
		}
	}
}
