package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
	"github.com/pydepot/pydepot/internal/testtls"
)

// startTLSServer runs `pydepot serve` with a certificate of a CA the test made
// (PYDEPOT_TLS_CERT, PYDEPOT_TLS_KEY) and returns it with the CA's files.
func startTLSServer(t *testing.T, extraEnv ...string) (*server, testtls.Files) {
	t.Helper()
	f := testtls.New(t, t.TempDir())
	env := append([]string{"PYDEPOT_TLS_CERT=" + f.Cert, "PYDEPOT_TLS_KEY=" + f.Key}, extraEnv...)
	return startServerOn(t, "https", f.Client(), env...), f
}

// TestPipOverTLS: `pydepot upload` (trusting the CA through SSL_CERT_FILE) and pip
// (through --cert) talk to serve over https with the test's own CA; pip without the CA
// refuses the server.
func TestPipOverTLS(t *testing.T) {
	t.Parallel()
	s, ca := startTLSServer(t)
	if !strings.HasPrefix(s.URL, "https://") {
		t.Fatalf("server URL %s", s.URL)
	}
	bin := pydepotBin(t)
	built, err := buildProjects(t.TempDir(), testdist.SimpleProject("tls-lib", "1.0"))
	if err != nil {
		t.Fatal(err)
	}
	run(t, "", append(s.adminEnv(), "SSL_CERT_FILE="+ca.CA), bin, "upload", built[0][0])
	py := filepath.Join(venv(t), "python")
	index := s.URL + "/simple/"
	if out, err := runErr("", pipEnv(t), py, "-m", "pip", "install", "--no-cache-dir", "--retries", "0", "--index-url", index, "tls-lib"); err == nil {
		t.Fatalf("pip trusted a server whose CA it was not given:\n%s", out)
	}
	run(t, "", pipEnv(t), py, "-m", "pip", "install", "--no-cache-dir", "--cert", ca.CA, "--index-url", index, "tls-lib")
	if got := strings.TrimSpace(run(t, "", nil, py, "-c", "import importlib.metadata as m; print(m.version('tls-lib'))")); got != "1.0" {
		t.Fatalf("installed tls-lib %q", got)
	}
}
