package pysource

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/testdist"
)

// TestTokensAgainstCPython compares the token stream with CPython 3.12's tokenize
// module on real files and on the edge cases.
func TestTokensAgainstCPython(t *testing.T) {
	python := testdist.Python(t, "3.12")
	paths := sampleFiles(t, 400, testdist.PythonInfo(t, "3.11").Stdlib, "/usr/lib/python3/dist-packages")
	edge, _ := filepath.Glob("testdata/edge/*.py")
	for _, e := range edge {
		abs, _ := filepath.Abs(e)
		paths = append(paths, abs)
	}
	cmd := exec.Command(python, "testdata/ref_tokens.py")
	cmd.Stdin = strings.NewReader(strings.Join(paths, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s ref_tokens.py: %v", python, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	compared := 0
	for sc.Scan() {
		var rec struct {
			Path   string
			Error  *string
			Tokens [][2]string
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Error != nil {
			continue
		}
		src, err := os.ReadFile(rec.Path)
		if err != nil {
			t.Fatal(err)
		}
		toks, terr := Tokenize(src)
		if terr != nil {
			t.Errorf("%s: tokenizer error %v on a file CPython tokenizes", rec.Path, terr)
			continue
		}
		var got [][2]string
		for _, tk := range toks {
			text := tk.Text
			switch tk.Kind {
			case FStringMiddle:
				continue
			case Newline, Indent, Dedent:
				text = ""
			case EOF:
				got = append(got, [2]string{"ENDMARKER", ""})
				continue
			}
			got = append(got, [2]string{tk.Kind.String(), text})
		}
		compared++
		for i := 0; i < len(got) || i < len(rec.Tokens); i++ {
			var g, w [2]string
			if i < len(got) {
				g = got[i]
			}
			if i < len(rec.Tokens) {
				w = rec.Tokens[i]
			}
			if g != w {
				t.Errorf("%s: token %d: got %q, CPython %q", rec.Path, i, g, w)
				break
			}
		}
	}
	if compared < 300 {
		t.Errorf("compared %d files, want at least 300", compared)
	}
	t.Logf("token streams of %d files equal CPython 3.12's", compared)
}
