// Command hostile writes the pathological distribution files of issue 6 into a folder,
// for bench/bench-hostile.sh:
//
//	cont-1.0-py3-none-any.whl       METADATA with LINES continuation lines
//	tags.whl, tags.name             a small wheel and the 7 KB tag-set file name to upload it as
//	bigrecord-1.0-py3-none-any.whl  a RECORD of RECORD_MB MiB (1 GiB: a wheel of about 10 MB)
//	evil-1.0-py3-none-any.whl       a local header that names ../../../etc/pwn
//
//	go run ./bench/hostile -out DIR [-lines 200000] [-record-mb 1024]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pydepot/pydepot/internal/hostile"
)

func main() {
	out := flag.String("out", "", "folder to write the files into")
	lines := flag.Int("lines", 200_000, "continuation lines in cont's METADATA")
	recordMB := flag.Int64("record-mb", 1024, "size of bigrecord's RECORD in MiB")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "usage: hostile -out DIR [-lines N] [-record-mb N]")
		os.Exit(2)
	}
	if err := write(*out, *lines, *recordMB<<20); err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		os.Exit(1)
	}
}

func write(dir string, lines int, recordSize int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string][]byte{
		"cont-1.0-py3-none-any.whl": hostile.ContinuationWheel("cont", lines),
		"tags.whl":                  hostile.WheelBytes(hostile.Minimal("tags", hostile.Metadata("tags", "1.0"))...),
		"tags.name":                 []byte("tags-1.0-" + hostile.TagSet(450) + ".whl"),
		"evil-1.0-py3-none-any.whl": hostile.LocalHeaderMismatch("evil"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	f, err := os.Create(filepath.Join(dir, "bigrecord-1.0-py3-none-any.whl"))
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := hostile.BigRecordWheel(w, "bigrecord", recordSize); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
