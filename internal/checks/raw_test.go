package checks_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/checks"
	"github.com/pydepot/pydepot/internal/tasks"
)

// TestRawDataStaysInTheFolder: the check's folder is written by the package under check,
// so raw data named there is read only when it is a regular file inside it: a symbolic
// link to a host file, a path out of the folder and a FIFO (which would block the read)
// are left out, with a log line each, and the rest of the report is stored.
func TestRawDataStaysInTheFolder(t *testing.T) {
	ctx := context.Background()
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("host secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	runner := &fakeRunner{report: func(in checkreport.Input) (*checkreport.Report, error) {
		if err := os.Symlink(secret, filepath.Join(in.Dir, "leak")); err != nil {
			return nil, err
		}
		if err := syscall.Mkfifo(filepath.Join(in.Dir, "fifo"), 0o644); err != nil {
			return nil, err
		}
		r := passing()
		r.Raw = append(r.Raw,
			checkreport.Raw{Task: "install", Name: "leak", Path: "leak"},
			checkreport.Raw{Task: "install", Name: "up", Path: "../" + filepath.Base(in.Dir) + "/install.trace"},
			checkreport.Raw{Task: "install", Name: "abs", Path: secret},
			checkreport.Raw{Task: "install", Name: "fifo", Path: "fifo"},
			checkreport.Raw{Task: "install", Name: "install.trace", Path: "install.trace"}, // a name used twice
		)
		return r, nil
	}}
	e := newEnv(t, runner, tasks.Config{})
	fn, _ := upload(t, e.svc, "main", "alpha", "1.0")
	id, err := e.ch.Queue(ctx, checks.Args{Repository: "main", Filename: fn})
	if err != nil {
		t.Fatal(err)
	}
	task := waitDone(t, e.queue, id)
	if task.State != tasks.Completed {
		t.Fatalf("task %+v", task)
	}
	st, err := e.ch.Latest(ctx, "main", fn)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Raw) != 1 || st.Raw[0].Name != "install.trace" || len(st.Report.Raw) != 1 {
		t.Errorf("raw kept %+v (report %+v)", st.Raw, st.Report.Raw)
	}
	log := strings.Join(task.Log, "\n")
	for _, name := range []string{"leak", "up", "abs", "fifo"} {
		if !strings.Contains(log, "raw data "+name) && !strings.Contains(log, `raw data "`+name+`"`) {
			t.Errorf("no log line for %s:\n%s", name, log)
		}
	}
}
