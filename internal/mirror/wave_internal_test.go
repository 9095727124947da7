package mirror

import (
	"fmt"
	"testing"

	"github.com/pydepot/pydepot/internal/simpleindex"
)

// TestWaveEnd: bringBatch's waves take at least their size and end with a project's
// last file, so that no project's files are split between two writes (the release-key
// check of a wave sees every file of its projects).
func TestWaveEnd(t *testing.T) {
	var jobs []job
	for p, n := range []int{3, 1, 4, 2} {
		for i := range n {
			jobs = append(jobs, job{project: fmt.Sprintf("p%d", p), file: simpleindex.File{Filename: fmt.Sprintf("p%d-%d.whl", p, i)}})
		}
	}
	for _, c := range []struct{ size, want int }{
		{1, 3}, {3, 3}, {4, 4}, {5, 8}, {8, 8}, {9, 10}, {100, 10},
	} {
		if got := waveEnd(jobs, c.size); got != c.want {
			t.Errorf("waveEnd(size %d) = %d, want %d", c.size, got, c.want)
		}
	}
	// Every wave of a whole batch, in turn.
	var cuts []int
	for rest, at := jobs, 0; len(rest) > 0; {
		n := waveEnd(rest, 2)
		at += n
		cuts = append(cuts, at)
		rest = rest[n:]
	}
	if fmt.Sprint(cuts) != "[3 8 10]" {
		t.Errorf("waves of 2 end at %v, want [3 8 10]", cuts)
	}
}
