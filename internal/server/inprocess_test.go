package server

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/index"
)

// TestInProcessVersionServedAtOnce: a version made in process, not through a request (a
// sync or check task calls the index directly), is served at once, even with the
// routing state kept for an hour; before, the project list and pages read the old
// version until the state's TTL ran out.
func TestInProcessVersionServedAtOnce(t *testing.T) {
	e := newEnv(t, Config{StateTTL: time.Hour})
	if body := readBody(t, e.request("GET", "/simple/", nil)); strings.Contains(body, "late-arrival") {
		t.Fatalf("the list holds the project before its upload:\n%s", body)
	}
	data := makeWheel(t, "late-arrival", "1.0", wheelOpts{})
	if _, _, err := e.svc.Upload(context.Background(), index.Upload{Repository: "main", Filename: "late_arrival-1.0-py3-none-any.whl", Content: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
	if body := readBody(t, e.request("GET", "/simple/", nil)); !strings.Contains(body, "late-arrival") {
		t.Errorf("the list made after an in-process upload lacks it:\n%s", body)
	}
	if resp := e.request("GET", "/simple/late-arrival/", nil); resp.StatusCode != 200 {
		t.Errorf("the project page after an in-process upload: %d", resp.StatusCode)
	}
}
