package installer

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/testdist"
)

func TestParseRecord(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []RecordEntry
		err  string
	}{
		{"basic", "a/b.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\nx.dist-info/RECORD,,\n",
			[]RecordEntry{{"a/b.py", "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU", 0}, {"x.dist-info/RECORD", "", -1}}, ""},
		{"quoted comma", "\"a,b.py\",sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\n",
			[]RecordEntry{{"a,b.py", "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU", 0}}, ""},
		{"crlf", "a,,\r\nb,,\r\n", []RecordEntry{{"a", "", -1}, {"b", "", -1}}, ""},
		{"installed dotdot", "../../../bin/pip,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,3\n",
			[]RecordEntry{{"../../../bin/pip", "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU", 3}}, ""},
		{"two columns", "a,sha256=x\n", nil, "2 columns, want 3"},
		{"four columns", "a,,,\n", nil, "want 3"},
		{"absolute", "/etc/passwd,,\n", nil, "absolute"},
		{"empty path", ",,\n", nil, "empty path"},
		{"debian hex digest and duplicate", "a,sha256=361630f7850f5dbefcfd9dff56d2f14c9d734205142a84e7760d74b8a257f34d,1\na,,\n",
			[]RecordEntry{{"a", "sha256=361630f7850f5dbefcfd9dff56d2f14c9d734205142a84e7760d74b8a257f34d", 1}, {"a", "", -1}}, ""},
		{"no equals", "a,sha256,0\n", nil, "alg=value"},
		{"bad size", "a,,x\n", nil, "size"},
		{"negative size", "a,,-1\n", nil, "size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRecord([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want ErrInvalid with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("row %d: got %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestParseRecordInstalled parses every RECORD installed on the machine.
func TestParseRecordInstalled(t *testing.T) {
	files, _ := filepath.Glob("/usr/lib/python3/dist-packages/*.dist-info/RECORD")
	files = append(files, testdist.GlobPrefixes("lib/python*/site-packages/*.dist-info/RECORD")...)
	if len(files) < 10 {
		t.Fatalf("only %d installed RECORD files found", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		entries, err := ParseRecord(data)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(entries) == 0 {
			t.Errorf("%s: no entries", f)
		}
	}
	t.Logf("parsed %d installed RECORD files", len(files))
}

func TestRecordWriteParse(t *testing.T) {
	in := []RecordEntry{{"a,b\"c.py", "sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU", 0}, {"x/RECORD", "", -1}}
	got, err := ParseRecord(writeRecord(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != in[0] || got[1] != in[1] {
		t.Fatalf("got %+v", got)
	}
	// Python's csv module reads what we write.
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "-c", "import csv,sys; print([r[0] for r in csv.reader(sys.stdin)])")
	cmd.Stdin = bytes.NewReader(writeRecord(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != `['a,b"c.py', 'x/RECORD']` {
		t.Fatalf("python read %s", got)
	}
}

func TestDecodeHash(t *testing.T) {
	tests := []struct{ in, err string }{
		{"sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU", ""},
		{"sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=", ""}, // padding tolerated
		{"sha512=z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg_SpIdNs6c5H0NE8XYXysP-DGNKHfuwvY7kxvUdBeoGlODJ6-SfaPg", ""},
		{"md5=1B2M2Y8AsgTpgAmY7PhCfg", "not accepted"},
		{"sha1=2jmj7l5rSw0yVb_vlWAYkK_YBwk", "not accepted"},
		{"sha256=AAAA", "not urlsafe base64"},
		{"sha256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU", "not urlsafe base64"},
		{"sha256=361630f7850f5dbefcfd9dff56d2f14c9d734205142a84e7760d74b8a257f34d", "not urlsafe base64"},
		{"sha256", "alg=value"},
	}
	for _, tt := range tests {
		_, _, err := decodeHash(tt.in)
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("decodeHash(%q) = %v, want %q", tt.in, err, tt.err)
		}
	}
}

func FuzzParseRecord(f *testing.F) {
	f.Add([]byte("a/b.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\nx.dist-info/RECORD,,\n"))
	f.Add([]byte("\"a,b\",,\r\n"))
	f.Add([]byte("a,sha512=z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg_SpIdNs6c5H0NE8XYXysP-DGNKHfuwvY7kxvUdBeoGlODJ6-SfaPg,1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := ParseRecord(data)
		if err != nil {
			if !errors.Is(err, errs.ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		again, err := ParseRecord(writeRecord(entries))
		if err != nil {
			t.Fatalf("own output does not parse: %v", err)
		}
		if len(again) != len(entries) {
			t.Fatalf("round trip: %d entries, want %d", len(again), len(entries))
		}
		for i := range again {
			if again[i] != entries[i] {
				t.Fatalf("round trip row %d: %+v != %+v", i, again[i], entries[i])
			}
		}
	})
}
