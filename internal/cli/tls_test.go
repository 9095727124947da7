package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/testtls"
)

// TestServeTLSSettings: --tls-cert and --tls-key (or their variables) come as a pair of
// readable files holding a matching certificate and key; a key every user may read is
// warned about.
func TestServeTLSSettings(t *testing.T) {
	dir := t.TempDir()
	f := testtls.New(t, dir)
	other := testtls.New(t, t.TempDir())
	open := filepath.Join(dir, "open-key.pem")
	b, _ := os.ReadFile(f.Key)
	if err := os.WriteFile(open, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		env      map[string]string
		args     []string
		wantErr  string
		wantWarn string
	}{
		{name: "none"},
		{name: "flags", args: []string{"--tls-cert", f.Cert, "--tls-key", f.Key}},
		{name: "env", env: map[string]string{"PYDEPOT_TLS_CERT": f.Cert, "PYDEPOT_TLS_KEY": f.Key}},
		{name: "cert alone", args: []string{"--tls-cert", f.Cert}, wantErr: "give both or neither"},
		{name: "key alone", env: map[string]string{"PYDEPOT_TLS_KEY": f.Key}, wantErr: "give both or neither"},
		{name: "missing", args: []string{"--tls-cert", filepath.Join(dir, "nope.pem"), "--tls-key", f.Key}, wantErr: "nope.pem"},
		{name: "not a key", args: []string{"--tls-cert", f.Cert, "--tls-key", f.CA}, wantErr: "--tls-key"},
		{name: "other key", args: []string{"--tls-cert", f.Cert, "--tls-key", other.Key}, wantErr: "private key does not match"},
		{name: "world-readable key", args: []string{"--tls-cert", f.Cert, "--tls-key", open}, wantWarn: "readable by every user (mode 0644)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"PYDEPOT_DATA": t.TempDir()}
			for k, v := range tc.env {
				env[k] = v
			}
			e, _, _ := testEnv(env)
			cmd := newServeCmd(e)
			if err := cmd.ParseFlags(tc.args); err != nil {
				t.Fatal(err)
			}
			c, err := loadServeConfig(cmd, e)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			warn := strings.Join(c.Warnings(), "\n")
			if (tc.wantWarn == "") != (warn == "") || !strings.Contains(warn, tc.wantWarn) {
				t.Errorf("warnings %q, want %q", warn, tc.wantWarn)
			}
		})
	}
}

// TestServeTLS: serve with a certificate made by the test's own CA answers HTTPS only,
// and its absolute links default to https. The client commands reach it through an
// HTTP client that trusts that CA.
func TestServeTLS(t *testing.T) {
	f := testtls.New(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	senv, _, serr := testEnv(map[string]string{"PYDEPOT_DATA": t.TempDir(), "PYDEPOT_LISTEN": "127.0.0.1:0",
		"PYDEPOT_TLS_CERT": f.Cert, "PYDEPOT_TLS_KEY": f.Key, "PYDEPOT_ADMIN_TOKEN": "pyd_tls-test-admin-token-0123456789",
		"PYDEPOT_LOG_LEVEL": "debug"})
	done := make(chan int, 1)
	go func() { done <- Main(ctx, []string{"serve"}, senv) }()
	urlRE := regexp.MustCompile(`url=(https://127\.0\.0\.1:\d+)/`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && base == ""; time.Sleep(50 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(serr.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("server did not start on https: %s", serr.String())
	}
	hc := f.Client()
	env, out, errb := testEnv(map[string]string{"PYDEPOT_URL": base, "PYDEPOT_TOKEN": "pyd_tls-test-admin-token-0123456789"})
	env.HTTP = hc
	root := NewRoot(env)
	root.SetArgs([]string{"upload", "/usr/share/python-wheels/wheel-0.38.4-py3-none-any.whl"})
	if err := root.ExecuteContext(ctx); err != nil {
		t.Fatalf("upload over https: %v\n%s%s", err, out, errb)
	}
	resp, err := hc.Get(base + "/pypi/wheel/json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		URLs []struct {
			URL string `json:"url"`
		} `json:"urls"`
	}
	err = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if err != nil || len(doc.URLs) != 1 || !strings.HasPrefix(doc.URLs[0].URL, base+"/") {
		t.Fatalf("JSON API links %+v (%v), want them under %s", doc.URLs, err, base)
	}
	// A client that does not trust the CA fails the handshake: serve logs it through slog,
	// at Debug.
	if resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(base + "/simple/"); err == nil {
		resp.Body.Close()
		t.Error("a client without the CA trusted the server")
	}
	plain, err := (&http.Client{Timeout: 10 * time.Second}).Get(strings.Replace(base, "https://", "http://", 1) + "/simple/")
	if err == nil {
		plain.Body.Close()
		if plain.StatusCode == http.StatusOK {
			t.Error("plain HTTP answered 200 on the TLS port")
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("serve exited %d: %s", code, serr.String())
	}
	if !regexp.MustCompile(`level=DEBUG msg="tls handshake failed" err=".*bad certificate`).MatchString(serr.String()) {
		t.Errorf("the failed handshake is not logged at Debug:\n%s", serr.String())
	}
}
