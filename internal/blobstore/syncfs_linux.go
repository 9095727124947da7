package blobstore

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// syncFS makes every written byte and name of the file system holding dir durable with
// one syncfs(2): for a batch of hundreds of blobs it costs one journal commit where an
// fsync per file and per folder costs one each. ok is false when the kernel has no
// syncfs (the caller then fsyncs file by file).
func syncFS(dir string) (ok bool, err error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		if errors.Is(err, unix.ENOSYS) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}
