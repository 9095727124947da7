package blobstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
)

// Memory is a Driver that keeps objects in memory; for tests.
type Memory struct {
	mu   sync.RWMutex
	objs map[string]memObj
}

type memObj struct {
	data []byte
	mod  time.Time
}

var _ Driver = (*Memory)(nil)

// NewMemory returns an empty Memory driver.
func NewMemory() *Memory { return &Memory{objs: map[string]memObj{}} }

// Layout implements Driver: a Memory driver is always new.
func (m *Memory) Layout() Layout { return LayoutOneLevel }

type nopSeekCloser struct{ *bytes.Reader }

func (nopSeekCloser) Close() error { return nil }

// Reader implements Driver.
func (m *Memory) Reader(ctx context.Context, path string) (io.ReadSeekCloser, int64, error) {
	if err := CheckPath(path); err != nil {
		return nil, 0, err
	}
	m.mu.RLock()
	o, ok := m.objs[path]
	m.mu.RUnlock()
	if !ok {
		return nil, 0, fmt.Errorf("blob %s: %w", path, errs.ErrNotFound)
	}
	return nopSeekCloser{bytes.NewReader(o.data)}, int64(len(o.data)), nil
}

// Writer implements Driver.
func (m *Memory) Writer(ctx context.Context) (Writer, error) { return &memWriter{m: m}, nil }

// Stat implements Driver.
func (m *Memory) Stat(ctx context.Context, path string) (Info, error) {
	if err := CheckPath(path); err != nil {
		return Info{}, err
	}
	m.mu.RLock()
	o, ok := m.objs[path]
	m.mu.RUnlock()
	if !ok {
		return Info{}, fmt.Errorf("blob %s: %w", path, errs.ErrNotFound)
	}
	return Info{Path: path, Size: int64(len(o.data)), ModTime: o.mod}, nil
}

// Delete implements Driver.
func (m *Memory) Delete(ctx context.Context, path string) error {
	if err := CheckPath(path); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.objs[path]; !ok {
		return fmt.Errorf("blob %s: %w", path, errs.ErrNotFound)
	}
	delete(m.objs, path)
	return nil
}

// Walk implements Driver.
func (m *Memory) Walk(ctx context.Context, prefix string, fn func(Info) error) error {
	if err := checkPrefix(prefix); err != nil {
		return err
	}
	m.mu.RLock()
	var infos []Info
	for p, o := range m.objs {
		if under(p, prefix) {
			infos = append(infos, Info{Path: p, Size: int64(len(o.data)), ModTime: o.mod})
		}
	}
	m.mu.RUnlock()
	sort.Slice(infos, func(i, j int) bool { return infos[i].Path < infos[j].Path })
	for _, i := range infos {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(i); err != nil {
			return err
		}
	}
	return nil
}

type memWriter struct {
	m    *Memory
	buf  bytes.Buffer
	done bool
}

func (w *memWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("write after commit or cancel: %w", errs.ErrInvalid)
	}
	return w.buf.Write(p)
}

func (w *memWriter) Size() int64 { return int64(w.buf.Len()) }

func (w *memWriter) Commit(ctx context.Context, path string) error {
	if w.done {
		return fmt.Errorf("commit after commit or cancel: %w", errs.ErrInvalid)
	}
	if err := CheckPath(path); err != nil {
		return err
	}
	w.done = true
	data := bytes.Clone(w.buf.Bytes())
	w.m.mu.Lock()
	w.m.objs[path] = memObj{data: data, mod: time.Now()}
	w.m.mu.Unlock()
	return nil
}

func (w *memWriter) Cancel(ctx context.Context) error {
	w.done = true
	w.buf = bytes.Buffer{}
	return nil
}
