package index_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestUploadSaysItsVersion: Upload's answer names the repository version it made (a new
// or restored file), and 0 when the identical file was there, even when uploads run
// concurrently: callers (the upload handlers, pydepot upload) need not compare the
// repository's latest version before and after, which another upload may move.
func TestUploadSaysItsVersion(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	const n = 6
	got := make([]int, n)
	names := make([]string, n)
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name, data := synthWheel(fmt.Sprintf("concurrent%d", i), "1.0")
			f, existed, err := uploadAs(s, name, data)
			if err != nil || existed {
				errc <- fmt.Errorf("upload %s: existed %v, %v", name, existed, err)
				return
			}
			got[i], names[i] = f.RepositoryVersion, name
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	vs, err := s.Versions(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	byNumber := map[int]string{}
	for _, v := range vs {
		byNumber[v.Number] = v.Message
	}
	seen := map[int]bool{}
	for i, v := range got {
		if seen[v] || !strings.Contains(byNumber[v], names[i]) {
			t.Errorf("upload of %s says version %d (%q)", names[i], v, byNumber[v])
		}
		seen[v] = true
	}

	name, data := synthWheel("concurrent0", "1.0")
	if f, existed, err := uploadAs(s, name, data); err != nil || !existed || f.RepositoryVersion != 0 {
		t.Errorf("identical re-upload: version %v, existed %v, %v", f, existed, err)
	}
	if err := s.Remove(ctx, "main", "", "", name); err != nil {
		t.Fatal(err)
	}
	f, existed, err := uploadAs(s, name, data)
	r, rerr := s.Repository(ctx, "main")
	if err != nil || rerr != nil || existed || f.RepositoryVersion != r.Latest {
		t.Errorf("restore: %+v, existed %v, %v; repository %+v, %v", f, existed, err, r, rerr)
	}
}
