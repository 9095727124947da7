package mirror

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pydepot/pydepot/internal/metastore"
)

// stateSpool holds the sync states (a project's validators) that a sync records when it
// publishes: in memory up to stateSpoolMemory of them, then in a temporary file. A
// full-index sync has one per project, and holding 200,000 was 28 MB of live heap at the
// end of the sync (twice that of RSS with the heap's growth), against the bounded memory
// a full-index sync promises. Not safe for concurrent use (the syncer's mu guards it).
type stateSpool struct {
	dir string
	mem []metastore.SyncState
	f   *os.File
	w   *bufio.Writer
	enc *json.Encoder
	err error // the first write error, returned by each
}

// stateSpoolMemory is how many states a spool keeps in memory before it spills them.
const stateSpoolMemory = 4096

// spooledState is a state in the spool's file: the remote, repository and config are
// the sync's own, the same for every state.
type spooledState struct {
	P string `json:"p"`
	E string `json:"e,omitempty"`
	L string `json:"l,omitempty"`
	S int64  `json:"s,omitempty"`
	M bool   `json:"m,omitempty"`
	T int64  `json:"t"` // SyncedAt, Unix microseconds
}

func newStateSpool(dir string) *stateSpool { return &stateSpool{dir: dir} }

// add keeps st.
func (sp *stateSpool) add(st metastore.SyncState) {
	if sp.err != nil {
		return
	}
	if sp.f == nil && len(sp.mem) < stateSpoolMemory {
		sp.mem = append(sp.mem, st)
		return
	}
	if sp.f == nil {
		f, err := os.CreateTemp(sp.dir, "sync-states-*")
		if err != nil {
			sp.err = fmt.Errorf("sync states: %w", err)
			return
		}
		sp.f, sp.w = f, bufio.NewWriter(f)
		sp.enc = json.NewEncoder(sp.w)
	}
	if err := sp.enc.Encode(spooledState{P: st.Project, E: st.ETag, L: st.LastModified, S: st.Serial, M: st.Mirrored, T: st.SyncedAt.UnixMicro()}); err != nil {
		sp.err = fmt.Errorf("sync states: %w", err)
	}
}

// each calls fn with the states kept, in chunks of at most n, those in memory first;
// base gives the fields every state shares (remote, repository, config). The chunk is
// reused from one call to the next.
func (sp *stateSpool) each(n int, base metastore.SyncState, fn func([]metastore.SyncState) error) error {
	if sp.err != nil {
		return sp.err
	}
	chunk := make([]metastore.SyncState, 0, n)
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		err := fn(chunk)
		chunk = chunk[:0]
		return err
	}
	for _, st := range sp.mem {
		if chunk = append(chunk, st); len(chunk) == n {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if sp.f == nil {
		return flush()
	}
	if err := sp.w.Flush(); err != nil {
		return fmt.Errorf("sync states: %w", err)
	}
	if _, err := sp.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("sync states: %w", err)
	}
	dec := json.NewDecoder(bufio.NewReader(sp.f))
	for {
		var s spooledState
		if err := dec.Decode(&s); err == io.EOF {
			break
		} else if err != nil {
			return fmt.Errorf("sync states: reading back: %w", err)
		}
		st := base
		st.Project, st.ETag, st.LastModified, st.Serial, st.Mirrored = s.P, s.E, s.L, s.S, s.M
		st.SyncedAt = time.UnixMicro(s.T).UTC()
		if chunk = append(chunk, st); len(chunk) == n {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// close removes the spool's file.
func (sp *stateSpool) close() {
	if sp.f != nil {
		sp.f.Close()
		os.Remove(sp.f.Name())
		sp.f = nil
	}
}
