package cli

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// TestServeStorageSettings: --data is the short form of --database and --blobs; a flag
// beats a variable; both forms at one level, or one store without the other, are errors.
func TestServeStorageSettings(t *testing.T) {
	db := "sqlite:///srv/meta/pydepot.db"
	blobs := "file:///srv/blobs"
	for _, tc := range []struct {
		name              string
		env               map[string]string
		args              []string
		wantDB, wantBlobs string // "" with wantErr
		wantData, spool   string
		wantErr           string
	}{
		{name: "default", wantDB: "sqlite://{cwd}/pydepot-data/pydepot.db", wantBlobs: "file://{cwd}/pydepot-data/blobs", wantData: "{cwd}/pydepot-data", spool: "{cwd}/pydepot-data/tmp"},
		{name: "data flag", args: []string{"--data", "/d"}, wantDB: "sqlite:///d/pydepot.db", wantBlobs: "file:///d/blobs", wantData: "/d", spool: "/d/tmp"},
		{name: "data env", env: map[string]string{"PYDEPOT_DATA": "/e"}, wantDB: "sqlite:///e/pydepot.db", wantBlobs: "file:///e/blobs", wantData: "/e", spool: "/e/tmp"},
		{name: "both URLs", args: []string{"--database", db, "--blobs", blobs}, wantDB: db, wantBlobs: blobs, spool: "/srv/meta/tmp"},
		{name: "both URLs from env", env: map[string]string{"PYDEPOT_DATABASE": db, "PYDEPOT_BLOBS": blobs}, wantDB: db, wantBlobs: blobs, spool: "/srv/meta/tmp"},
		{name: "flag beats env data", env: map[string]string{"PYDEPOT_DATA": "/e"}, args: []string{"--database", db}, wantDB: db, wantBlobs: "file:///e/blobs", wantData: "/e", spool: "/e/tmp"},
		{name: "data flag beats env URLs", env: map[string]string{"PYDEPOT_DATABASE": db, "PYDEPOT_BLOBS": blobs}, args: []string{"--data", "/d"}, wantDB: "sqlite:///d/pydepot.db", wantBlobs: "file:///d/blobs", wantData: "/d", spool: "/d/tmp"},
		{name: "data and database flags", args: []string{"--data", "/d", "--database", db}, wantErr: "--data and --database are both given"},
		{name: "data and blobs env", env: map[string]string{"PYDEPOT_DATA": "/e", "PYDEPOT_BLOBS": blobs}, wantErr: "PYDEPOT_DATA and PYDEPOT_BLOBS are both given"},
		{name: "database alone", args: []string{"--database", db}, wantErr: "--database is given but not --blobs"},
		{name: "blobs alone", env: map[string]string{"PYDEPOT_BLOBS": blobs}, wantErr: "--blobs is given but not --database"},
		{name: "postgres", args: []string{"--database", "postgres://u:pw@db/x", "--blobs", blobs}, wantErr: "scale-out"},
		{name: "s3", args: []string{"--database", db, "--blobs", "s3://bucket/x"}, wantErr: "scale-out"},
		{name: "relative URL", args: []string{"--database", "sqlite://x.db", "--blobs", blobs}, wantErr: "--database: database URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, _, _ := testEnv(tc.env)
			cmd := newServeCmd(env)
			if err := cmd.ParseFlags(tc.args); err != nil {
				t.Fatal(err)
			}
			got, cfgErr := loadServeConfig(cmd, env)
			cwd, _ := filepath.Abs(".")
			fill := func(s string) string { return strings.ReplaceAll(s, "{cwd}", cwd) }
			if tc.wantErr != "" {
				if cfgErr == nil || !strings.Contains(cfgErr.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", cfgErr, tc.wantErr)
				}
				if strings.Contains(cfgErr.Error(), "pw@") {
					t.Errorf("the error shows a password: %v", cfgErr)
				}
				return
			}
			if cfgErr != nil {
				t.Fatal(cfgErr)
			}
			if got.Database != fill(tc.wantDB) || got.Blobs != fill(tc.wantBlobs) || got.DataDir != fill(tc.wantData) || got.SpoolDir != fill(tc.spool) {
				t.Errorf("got database %s blobs %s data %q spool %s\nwant database %s blobs %s data %q spool %s",
					got.Database, got.Blobs, got.DataDir, got.SpoolDir, fill(tc.wantDB), fill(tc.wantBlobs), fill(tc.wantData), fill(tc.spool))
			}
		})
	}
}

func TestServeConfigValidate(t *testing.T) {
	good := defaultServeConfig()
	good.Database, good.Blobs, good.SpoolDir = "sqlite:///x/pydepot.db", "file:///x/blobs", "/x/tmp"
	if err := good.Validate(); err != nil {
		t.Fatalf("defaults with stores: %v", err)
	}
	for _, tc := range []struct {
		set  func(*serveConfig)
		want string
	}{
		{func(c *serveConfig) { c.Listen = "" }, "--listen"},
		{func(c *serveConfig) { c.Database = "" }, "--database"},
		{func(c *serveConfig) { c.Blobs = "s3://b" }, "scale-out"},
		{func(c *serveConfig) { c.SpoolDir = "tmp" }, "spool"},
		{func(c *serveConfig) { c.HTTP.MaxUpload = 0 }, "--max-upload"},
		{func(c *serveConfig) { c.HTTP.PublicURL = "ftp://x" }, "--public-url"},
		{func(c *serveConfig) { c.HTTP.IdleTimeout = 0 }, "--idle-timeout"},
		{func(c *serveConfig) { c.HTTP.BodyMinBytes = 0 }, "--min-body-rate"},
		{func(c *serveConfig) { c.Tasks.Workers = -1 }, "--workers"},
		{func(c *serveConfig) { c.Tasks.StaleAfter = time.Second }, "--task-stale-after"},
	} {
		c := good
		tc.set(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want one naming %s", err, tc.want)
		}
	}
}

func TestServeStoreCompletion(t *testing.T) {
	env, _, _ := testEnv(nil)
	cmd := newServeCmd(env)
	for flag, want := range map[string]string{"database": "sqlite:///", "blobs": "file:///"} {
		fn, ok := cmd.GetFlagCompletionFunc(flag)
		if !ok {
			t.Fatalf("--%s has no completion", flag)
		}
		got, dir := fn(cmd, nil, "")
		if len(got) != 1 || got[0] != want || dir&cobra.ShellCompDirectiveNoSpace == 0 {
			t.Errorf("--%s completes %v (%v), want %s without a space", flag, got, dir, want)
		}
		if got, _ := fn(cmd, nil, "zz"); len(got) != 0 {
			t.Errorf("--%s completes zz to %v", flag, got)
		}
	}
}

// TestServeConfigOneProblemOneMessage: a bad database URL is reported once, not also as
// the missing spool that follows from it.
func TestServeConfigOneProblemOneMessage(t *testing.T) {
	env, _, _ := testEnv(nil)
	cmd := newServeCmd(env)
	if err := cmd.ParseFlags([]string{"--database", "postgres://db/x", "--blobs", "file:///srv/b"}); err != nil {
		t.Fatal(err)
	}
	_, err := loadServeConfig(cmd, env)
	if err == nil || strings.Contains(err.Error(), "spool") || !strings.Contains(err.Error(), "scale-out") {
		t.Errorf("error %v, want only the database's", err)
	}
}

// TestServeTaskFlags: --workers and --task-stale-after, from flags or the environment,
// reach the configuration; bad values name their flag.
func TestServeTaskFlags(t *testing.T) {
	for _, tc := range []struct {
		flags   []string
		env     map[string]string
		workers int
		stale   time.Duration
		wantErr string
	}{
		{nil, nil, 4, 30 * time.Second, ""},
		{[]string{"--workers", "0"}, nil, 0, 30 * time.Second, ""},
		{nil, map[string]string{"PYDEPOT_WORKERS": "7", "PYDEPOT_TASK_STALE_AFTER": "1m"}, 7, time.Minute, ""},
		{[]string{"--workers", "2"}, map[string]string{"PYDEPOT_WORKERS": "7"}, 2, 30 * time.Second, ""},
		{[]string{"--workers", "many"}, nil, 0, 0, "--workers"},
		{[]string{"--task-stale-after", "soon"}, nil, 0, 0, "--task-stale-after"},
		{[]string{"--task-stale-after", "1s"}, nil, 0, 0, "at least 3s"},
	} {
		env, _, _ := testEnv(tc.env)
		cmd := newServeCmd(env)
		if err := cmd.ParseFlags(append([]string{"--data", t.TempDir()}, tc.flags...)); err != nil {
			t.Fatal(err)
		}
		c, err := loadServeConfig(cmd, env)
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v %v: error %v, want one naming %s", tc.flags, tc.env, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("%v %v: %v", tc.flags, tc.env, err)
		case c.Tasks.Workers != tc.workers || c.Tasks.StaleAfter != tc.stale:
			t.Errorf("%v %v: workers %d, stale after %s; want %d, %s", tc.flags, tc.env, c.Tasks.Workers, c.Tasks.StaleAfter, tc.workers, tc.stale)
		}
	}
}
