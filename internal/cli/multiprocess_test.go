package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pydepot/pydepot/internal/backends"
)

const mpToken = "multiprocess-admin-token-0123"

// mpClient is the test's HTTP client, with a timeout.
var mpClient = &http.Client{Timeout: time.Minute}

// mpWheel builds a minimal valid wheel; variant changes its bytes (not its name).
func mpWheel(name, version, variant string) (string, []byte) {
	di := name + "-" + version + ".dist-info/"
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct{ name, body string }{
		{name + "/__init__.py", "X = 1\n# " + variant + "\n"},
		{di + "METADATA", "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n\n"},
		{di + "WHEEL", "Wheel-Version: 1.0\nGenerator: pydepot-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
		{di + "RECORD", ""},
	} {
		w, _ := zw.Create(f.name)
		io.WriteString(w, f.body)
	}
	zw.Close()
	return name + "-" + version + "-py3-none-any.whl", buf.Bytes()
}

func hexSHA(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// uploadForm builds twine's upload form for a wheel; digest "" sends the right one.
func mpForm(filename string, body []byte, name, version, digest string) (string, []byte) {
	if digest == "" {
		digest = hexSHA(body)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{":action": "file_upload", "protocol_version": "1", "name": name,
		"version": version, "filetype": "bdist_wheel", "sha256_digest": digest} {
		mw.WriteField(k, v)
	}
	w, _ := mw.CreateFormFile("content", filename)
	w.Write(body)
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe runs `pydepot serve` as a process on data and waits until it answers.
func startServe(t *testing.T, bin, data string) string {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin, "serve", "--data", data, "--listen", addr)
	cmd.Env = append(os.Environ(), "PYDEPOT_ADMIN_TOKEN="+mpToken, "HOME="+t.TempDir())
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("server %s log:\n%s", addr, logs.String())
		}
	})
	url := "http://" + addr
	for deadline := time.Now().Add(20 * time.Second); ; {
		if resp, err := mpClient.Get(url + "/simple/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return url
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pydepot serve on %s did not start:\n%s", addr, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// disconnectMidBody sends an upload's headers and half its body, then closes the
// connection.
func disconnectMidBody(url, ctype string, body []byte) error {
	addr := strings.TrimPrefix(url, "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /main/legacy/ HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nAuthorization: Basic %s\r\n\r\n",
		addr, ctype, len(body), basicAuth("__token__", mpToken))
	_, err = c.Write(body[:len(body)/2])
	return err
}

func basicAuth(user, pass string) string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(user, pass)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

type mpWheelFile struct {
	filename, name, version string
	body                    []byte
}

func wheelBody(ws []mpWheelFile, fn string) []byte {
	for _, w := range ws {
		if w.filename == fn {
			return w.body
		}
	}
	return nil
}

// TestTwoServeProcessesOneDataFolder: two `pydepot serve` processes share one data
// folder; overlapping uploads go through both at once while one also gets failing
// uploads (a wrong sha256_digest, a client that disconnects mid-body, other bytes under a
// taken filename) and a `pydepot gc` with the default grace, which removes nothing. Then
// `pydepot gc --grace 0s` runs: every acknowledged file is served by both with
// its sha256, and no blob is left unreferenced.
func TestTwoServeProcessesOneDataFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "pydepot")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/pydepot")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := t.TempDir()
	a := startServe(t, bin, data) // the first start creates the database and the token
	b := startServe(t, bin, data)

	const files = 16
	type wheel = mpWheelFile
	var wheels []wheel
	for i := range files {
		name, version := fmt.Sprintf("mp%d", i%4), fmt.Sprintf("1.%d", i)
		fn, body := mpWheel(name, version, "")
		wheels = append(wheels, wheel{fn, name, version, body})
	}
	var mu sync.Mutex
	acked := map[string]string{} // filename -> sha256 of the acknowledged bytes
	refused := map[string]int{}  // filename -> good uploads answered 400
	ack := func(fn, sha string) {
		mu.Lock()
		defer mu.Unlock()
		if prev, ok := acked[fn]; ok && prev != sha {
			t.Errorf("%s acknowledged with two contents: %s and %s", fn, prev, sha)
		}
		acked[fn] = sha
	}
	post := func(url string, w wheel, body []byte, digest string) (int, error) {
		ctype, form := mpForm(w.filename, body, w.name, w.version, digest)
		req, _ := http.NewRequest("POST", url+"/main/legacy/", bytes.NewReader(form))
		req.Header.Set("Content-Type", ctype)
		req.SetBasicAuth("__token__", mpToken)
		resp, err := mpClient.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	var wg sync.WaitGroup
	for i, w := range wheels {
		for _, url := range []string{a, b} { // every file through both: overlapping
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, err := post(url, w, w.body, "")
				switch {
				case err != nil:
					t.Errorf("upload %s to %s: %v", w.filename, url, err)
				case code == 200:
					ack(w.filename, hexSHA(w.body))
				case code == 400 && i%3 == 2: // the racing upload of other bytes won
					mu.Lock()
					refused[w.filename]++
					mu.Unlock()
				default:
					t.Errorf("upload %s to %s: status %d", w.filename, url, code)
				}
			}()
		}
		// Failures injected into b, racing the good uploads.
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, other := mpWheel(w.name, w.version, "other bytes")
			switch i % 3 {
			case 0:
				if code, err := post(b, w, w.body, strings.Repeat("0", 64)); err != nil || code != 400 {
					t.Errorf("wrong sha256_digest: %d, %v", code, err)
				}
			case 1:
				ctype, form := mpForm(w.filename, other, w.name, w.version, "")
				if err := disconnectMidBody(b, ctype, form); err != nil {
					t.Errorf("disconnecting upload: %v", err)
				}
			case 2: // other bytes under the same filename: a conflict, unless it wins
				code, err := post(b, w, other, "")
				switch {
				case err != nil:
					t.Errorf("conflicting upload: %v", err)
				case code == 200:
					ack(w.filename, hexSHA(other))
				case code != 400:
					t.Errorf("conflicting upload: status %d", code)
				}
			}
		}()
	}
	// A gc with the default grace runs while the uploads do: it must take nothing.
	wg.Add(1)
	go func() {
		defer wg.Done()
		out, err := exec.Command(bin, "gc", "--data", data).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "removed 0 unreferenced") {
			t.Errorf("pydepot gc during the uploads: %v\n%s", err, out)
		}
	}()
	wg.Wait()
	if t.Failed() {
		return
	}

	out, err := exec.Command(bin, "gc", "--data", data, "--grace", "0s").CombinedOutput()
	if err != nil {
		t.Fatalf("pydepot gc: %v\n%s", err, out)
	}
	t.Logf("pydepot gc: %s", out)

	// A server learns of another process's new versions within its routing state's TTL
	// (server.Config.StateTTL, 1 s): poll a little.
	fetch := func(url, fn, sha string) (int, string) {
		var code int
		var got string
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			resp, err := mpClient.Get(url + "/main/files/" + sha + "/" + fn)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			code, got = resp.StatusCode, hexSHA(body)
			if code != http.StatusNotFound {
				break
			}
		}
		return code, got
	}
	for fn, sha := range acked {
		for _, url := range []string{a, b} {
			if code, got := fetch(url, fn, sha); code != 200 || got != sha {
				t.Errorf("%s from %s: status %d, sha256 %s, want %s", fn, url, code, got, sha)
			}
		}
	}
	if len(acked) != files {
		t.Errorf("%d files acknowledged, want %d", len(acked), files)
	}
	for fn, n := range refused {
		if acked[fn] == hexSHA(wheelBody(wheels, fn)) {
			t.Errorf("%s: %d good uploads refused, yet its good bytes were acknowledged", fn, n)
		}
	}
	svc, closeFn, err := backends.OpenDirStores(context.Background(), data, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if rep, err := svc.FindOrphans(context.Background(), time.Time{}); err != nil || rep.Count != 0 {
		t.Errorf("after gc: %+v, %v; want no unreferenced blob", rep, err)
	}
}
