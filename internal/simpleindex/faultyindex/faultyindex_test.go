package faultyindex_test

import (
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/simpleindex/faultyindex"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
)

func wheels(t *testing.T) []string {
	paths, _ := filepath.Glob("/usr/share/python-wheels/*.whl")
	if len(paths) < 2 {
		t.Fatal("need the wheels in /usr/share/python-wheels (apt-get install python3-pip-whl python3-setuptools-whl)")
	}
	return paths
}

func status(t *testing.T, c *http.Client, url string) int {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestQueues: faults apply in order, each Times requests, per path; InjectAll gives every
// path under a prefix its own copy; Clear("") drops everything.
func TestQueues(t *testing.T) {
	paths := wheels(t)
	srv := faultyindex.New(t, paths, indextest.Options{})
	c := srv.Client()
	a := "/files/" + filepath.Base(paths[0])
	b := "/files/" + filepath.Base(paths[1])
	srv.Inject(a, faultyindex.Fault{Kind: faultyindex.Status, Code: 503, Times: 2}, faultyindex.Fault{Kind: faultyindex.Status, Code: 429, Times: 1})
	var got []int
	for range 4 {
		got = append(got, status(t, c, srv.URL+a))
	}
	if want := []int{503, 503, 429, 200}; !slices.Equal(got, want) || srv.Hits(a) != 4 || srv.Faulted(a) != 3 {
		t.Errorf("statuses %v (want %v), %d hits, %d faulted", got, want, srv.Hits(a), srv.Faulted(a))
	}
	srv.InjectAll("/files/", faultyindex.Fault{Kind: faultyindex.Status, Code: 500, Times: 1})
	for _, p := range []string{a, b} {
		if s1, s2 := status(t, c, srv.URL+p), status(t, c, srv.URL+p); s1 != 500 || s2 != 200 {
			t.Errorf("%s after InjectAll: %d then %d, want 500 then 200", p, s1, s2)
		}
	}
	if s := status(t, c, srv.URL+"/simple/pip/"); s != 200 {
		t.Errorf("a page outside the prefix: %d", s)
	}
	srv.Inject(a, faultyindex.Fault{Kind: faultyindex.Status})
	srv.InjectAll("/", faultyindex.Fault{Kind: faultyindex.Status})
	srv.Clear("")
	if s := status(t, c, srv.URL+a); s != 200 {
		t.Errorf("after Clear: %d", s)
	}
	if r := srv.Ranges(a); len(r) != srv.Hits(a) || strings.Join(r, "") != "" {
		t.Errorf("ranges %q", r)
	}
}
