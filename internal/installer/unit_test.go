package installer

import (
	"archive/zip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
)

// makeWheel writes a wheel holding files plus a correct RECORD.
func makeWheel(t *testing.T, filename string, files map[string]string) string {
	t.Helper()
	return makeWheelHash(t, filename, files, func(b []byte) string { return encodeSHA256(sha256Sum(b)) })
}

func makeWheelHash(t *testing.T, filename string, files map[string]string, hash func([]byte) string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), filename)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var record strings.Builder
	di := ""
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(files[n]))
		record.WriteString(n + "," + hash([]byte(files[n])) + "," + strconv.Itoa(len(files[n])) + "\n")
		if top, _, _ := strings.Cut(n, "/"); strings.HasSuffix(top, ".dist-info") {
			di = top
		}
	}
	recName := "RECORD"
	if di != "" {
		recName = di + "/RECORD"
	}
	record.WriteString(recName + ",,\n")
	w, _ := zw.Create(recName)
	w.Write([]byte(record.String()))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

func TestSchemePlacement(t *testing.T) {
	whl := makeWheel(t, "plat-1.0-cp311-cp311-linux_x86_64.whl", map[string]string{
		"plat/__init__.py":                "",
		"plat-1.0.data/purelib/pure.py":   "P = 1\n",
		"plat-1.0.data/platlib/native.py": "N = 1\n",
		"plat-1.0.data/scripts/tool":      "#!pythonw -u\nprint('tool')\n",
		"plat-1.0.data/scripts/shell":     "#!/bin/sh\necho shell\n",
		"plat-1.0.data/data/etc/plat.cfg": "x\n",
		"plat-1.0.data/headers/plat.h":    "",
		"plat-1.0.dist-info/METADATA":     "Metadata-Version: 2.1\nName: plat\nVersion: 1.0\n",
		"plat-1.0.dist-info/WHEEL":        "Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp311-cp311-linux_x86_64\n",
		"plat-1.0.dist-info/entry_points.txt": "[console_scripts]\nplat-cli = plat.cli:main [extra]\n" +
			"[gui_scripts]\nplat-gui = plat:gui\n[other]\nignored = x:y\n",
	})
	root := t.TempDir()
	s := Scheme{
		Purelib: filepath.Join(root, "pure"), Platlib: filepath.Join(root, "plat"), Scripts: filepath.Join(root, "bin"),
		Data: filepath.Join(root, "data"), Headers: filepath.Join(root, "inc"),
	}
	res, err := Install(context.Background(), whl, s, Options{Requested: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"bin/plat-cli", "bin/plat-gui", "bin/shell", "bin/tool",
		"data/etc/plat.cfg", "inc/plat/plat.h",
		"plat/native.py", "plat/plat-1.0.dist-info/INSTALLER", "plat/plat-1.0.dist-info/METADATA",
		"plat/plat-1.0.dist-info/RECORD", "plat/plat-1.0.dist-info/REQUESTED", "plat/plat-1.0.dist-info/WHEEL",
		"plat/plat-1.0.dist-info/entry_points.txt", "plat/plat/__init__.py", "pure/pure.py",
	}
	got := fileSet(t, root)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("files:\n%v\nwant\n%v", got, want)
	}
	if res.DistInfo != filepath.Join(s.Platlib, "plat-1.0.dist-info") || len(res.Scripts) != 4 {
		t.Errorf("result %+v", res)
	}
	tool, _ := os.ReadFile(filepath.Join(root, "bin/tool"))
	if !strings.HasPrefix(string(tool), "#!/bin/sh\n'''exec'") || !strings.HasSuffix(string(tool), "' '''\nprint('tool')\n") {
		t.Errorf("tool:\n%s", tool)
	}
	shell, _ := os.ReadFile(filepath.Join(root, "bin/shell"))
	if string(shell) != "#!/bin/sh\necho shell\n" {
		t.Errorf("a non-python script was changed:\n%s", shell)
	}
	cli, _ := os.ReadFile(filepath.Join(root, "bin/plat-cli"))
	if !strings.Contains(string(cli), "from plat.cli import main\n") || !strings.Contains(string(cli), "sys.exit(main())") {
		t.Errorf("plat-cli:\n%s", cli)
	}
	rec := readRecord(t, filepath.Join(res.DistInfo, "RECORD"))
	for _, p := range []string{"../bin/tool", "../pure/pure.py", "../inc/plat/plat.h", "../data/etc/plat.cfg", "native.py"} {
		if _, ok := rec[p]; !ok {
			t.Errorf("RECORD lacks %s: %v", p, rec)
		}
	}
}

func TestBadWheels(t *testing.T) {
	base := map[string]string{
		"x/__init__.py":          "",
		"x-1.dist-info/METADATA": "Metadata-Version: 2.1\nName: x\nVersion: 1\n",
		"x-1.dist-info/WHEEL":    "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n",
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range base {
			m[a] = b
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name, filename string
		files          map[string]string
		want           string
	}{
		{"unknown data dir", "x-1-py3-none-any.whl", with("x-1.data/lib/y.py", "y"), `unknown .data directory "lib"`},
		{"data into dist-info", "x-1-py3-none-any.whl", with("x-1.data/purelib/x-1.dist-info/entry_points.txt", "[console_scripts]\nx = x:y\n"), "may not install into the .dist-info"},
		{"script clash", "x-1-py3-none-any.whl", map[string]string{"x-1.data/scripts/x": "#!python\n", "x-1.dist-info/WHEEL": base["x-1.dist-info/WHEEL"],
			"x-1.dist-info/entry_points.txt": "[console_scripts]\nx = x:main\n"}, "clashes with a script"},
		{"data file at data root", "x-1-py3-none-any.whl", with("x-1.data/purelib", "y"), "must be inside one of"},
		{"file name mismatch", "y-1-py3-none-any.whl", base, "does not match the .dist-info"},
		{"no purelib flag", "x-1-py3-none-any.whl", with("x-1.dist-info/WHEEL", "Wheel-Version: 1.0\n"), "no Root-Is-Purelib"},
		{"bad purelib flag", "x-1-py3-none-any.whl", with("x-1.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: yes\n"), "not true or false"},
		{"bad version", "x-1-py3-none-any.whl", with("x-1.dist-info/WHEEL", "Wheel-Version: one\nRoot-Is-Purelib: true\n"), "not MAJOR.MINOR"},
		{"entry point no attr", "x-1-py3-none-any.whl", with("x-1.dist-info/entry_points.txt", "[console_scripts]\nx = x\n"), "not name = module:attr"},
		{"entry point code", "x-1-py3-none-any.whl", with("x-1.dist-info/entry_points.txt", "[console_scripts]\nx = os:system('id')\n"), "not name = module:attr"},
		{"no dist-info", "x-1-py3-none-any.whl", map[string]string{"x/__init__.py": ""}, "found 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			whl := makeWheel(t, tt.filename, tt.files)
			prefix := t.TempDir()
			_, err := Install(context.Background(), whl, VenvScheme(prefix, "3.11"), Options{})
			if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrInvalid with %q", err, tt.want)
			}
			if left := fileSet(t, prefix); len(left) != 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
	// A newer minor wheel version installs (with a warning).
	whl := makeWheel(t, "x-1-py3-none-any.whl", with("x-1.dist-info/WHEEL", "Wheel-Version: 1.9\nRoot-Is-Purelib: true\n"))
	if _, err := Install(context.Background(), whl, VenvScheme(t.TempDir(), "3.11"), Options{}); err != nil {
		t.Errorf("Wheel-Version 1.9: %v", err)
	}
	// The file name is free when it is not a wheel name (content-addressed caches).
	whl = makeWheel(t, "0123abcd", base)
	if _, err := Install(context.Background(), whl, VenvScheme(t.TempDir(), "3.11"), Options{}); err != nil {
		t.Errorf("cache path: %v", err)
	}
	// sha512 in RECORD is verified, and the new RECORD says sha256.
	whl512 := makeWheelHash(t, "x-1-py3-none-any.whl", base, func(b []byte) string {
		s := sha512.Sum512(b)
		return "sha512=" + base64.RawURLEncoding.EncodeToString(s[:])
	})
	res, err := Install(context.Background(), whl512, VenvScheme(t.TempDir(), "3.11"), Options{})
	if err != nil {
		t.Fatalf("sha512 RECORD: %v", err)
	}
	if e := readRecord(t, filepath.Join(res.DistInfo, "RECORD"))["x-1.dist-info/WHEEL"]; e.Hash != encodeSHA256(sha256Sum([]byte(base["x-1.dist-info/WHEEL"]))) {
		t.Errorf("new RECORD entry %+v", e)
	}
	bad512 := makeWheelHash(t, "x-1-py3-none-any.whl", base, func(b []byte) string {
		s := sha512.Sum512(append(b, 'x'))
		return "sha512=" + base64.RawURLEncoding.EncodeToString(s[:])
	})
	if _, err := Install(context.Background(), bad512, VenvScheme(t.TempDir(), "3.11"), Options{}); !errors.Is(err, errs.ErrInvalid) {
		t.Errorf("wrong sha512: %v", err)
	}
	// Canceled context.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Install(ctx, whl, VenvScheme(t.TempDir(), "3.11"), Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
}

func TestShebang(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"", "#!/bin/sh\n'''exec' \"$(dirname -- \"$(realpath -- \"$0\")\")\"/python3 \"$0\" \"$@\"\n' '''\n", ""},
		{"python3.11", "#!/bin/sh\n'''exec' \"$(dirname -- \"$(realpath -- \"$0\")\")\"/python3.11 \"$0\" \"$@\"\n' '''\n", ""},
		{"/usr/bin/python3", "#!/usr/bin/python3\n", ""},
		{"/opt/my env/python3", "#!/bin/sh\n'''exec' '/opt/my env/python3' \"$0\" \"$@\"\n' '''\n", ""},
		{"/opt/it's/python3", "", "cannot be quoted"},
		{"py$(id)", "", "only letters"},
		{"../python3", "", "only letters"},
	}
	for _, tt := range tests {
		got, err := shebang(tt.in)
		if tt.err != "" {
			if !errors.Is(err, errs.ErrInvalid) || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("shebang(%q) err = %v", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("shebang(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	fix := []struct{ in, out string }{
		{"#!python\nx\n", "SB\nx\n"},
		{"#!pythonw\nx\n", "SB\nx\n"},
		{"#!python -E\r\nx\n", "SB\nx\n"},
		{"#!python", "SB\n"},
		{"#!/usr/bin/env python\nx\n", "#!/usr/bin/env python\nx\n"},
		{"", ""},
	}
	for _, f := range fix {
		got, _ := fixShebang([]byte(f.in), "SB\n")
		if string(got) != f.out {
			t.Errorf("fixShebang(%q) = %q, want %q", f.in, got, f.out)
		}
	}
}
