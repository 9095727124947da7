package index

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/metadata"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/versions"
)

// A sync adds files through Apply's ChangeAdd like an upload, with a Prepared made by
// PrepareSynced (from bytes it downloaded and verified) or PrepareRemote (no bytes: a
// row whose Presence is remote). The row then keeps what the upstream said of the file:
// its upload time, yank state and reason, requires-python, URL and hashes, and where it
// came from (Origin sync, OriginRemote).

// SyncedFile is a file as an upstream index lists it.
type SyncedFile struct {
	Filename       string
	SHA256         string // the upstream's digest (required)
	Size           int64  // -1 when the upstream does not say
	UploadTime     time.Time
	RequiresPython string // the upstream's data-requires-python; "" keeps the metadata's
	Yanked         bool
	YankReason     string
	Remote         string // the remote's name
	UpstreamURL    string
	UpstreamHashes string // "sha256=<hex>", ','-separated
	// Dist is Filename parsed (filenames.Parse), when the caller has parsed it; nil (or
	// another file's) has it parsed here.
	Dist *filenames.Dist
}

// dist is f's parsed name: the caller's, or parsed here.
func (f *SyncedFile) dist() (filenames.Dist, error) {
	if f.Dist != nil && f.Dist.Filename == f.Filename {
		return *f.Dist, nil
	}
	return filenames.Parse(f.Filename)
}

func (f *SyncedFile) check() error {
	if f.Filename == "" || strings.ContainsAny(f.Filename, "/\\\x00") {
		return fmt.Errorf("synced filename %q: %w", f.Filename, errs.ErrInvalid)
	}
	if len(f.SHA256) != 64 || strings.Trim(strings.ToLower(f.SHA256), "0123456789abcdef") != "" {
		return fmt.Errorf("synced file %s: sha256 %q is not a hex digest: %w", f.Filename, f.SHA256, errs.ErrInvalid)
	}
	if f.Remote == "" {
		return fmt.Errorf("synced file %s: no remote: %w", f.Filename, errs.ErrInvalid)
	}
	_, err := f.dist()
	return err
}

func (f *SyncedFile) apply(row *metastore.File) {
	if !f.UploadTime.IsZero() {
		row.UploadTime = f.UploadTime.UTC().Truncate(time.Microsecond)
	}
	if f.RequiresPython != "" {
		row.RequiresPython = f.RequiresPython
	}
	row.Yanked, row.YankReason = f.Yanked, f.YankReason
	if !f.Yanked {
		row.YankReason = ""
	}
	row.Origin, row.OriginRemote = metastore.OriginSync, f.Remote
	row.UpstreamURL, row.UpstreamHashes = f.UpstreamURL, f.UpstreamHashes
}

// checkReuse refuses a filename repo used for other bytes (a file since removed or
// rolled back): Apply would refuse the whole batch for it.
func (s *Service) checkReuse(ctx context.Context, repoID int64, f *SyncedFile) error {
	old, err := s.store.FileByFilename(ctx, repoID, f.Filename)
	if errors.Is(err, errs.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !strings.EqualFold(old.SHA256, f.SHA256) {
		return fmt.Errorf("%s: %s was stored with other bytes (sha256 %s), the upstream's are %s: %w",
			msgFilenameUsed, f.Filename, old.SHA256, f.SHA256, ErrFilenameReused)
	}
	return nil
}

// PrepareSynced inspects content, whose sha256 the caller has verified to be f.SHA256
// (it is hashed again here: what is stored is checked, not trusted), stores its blobs,
// and checks the rules of repo's latest version (a second file of the release for the
// same tags, a project archived or quarantined), so that a refusal names this file
// before any Apply. The file's metadata is extracted from the content.
func (s *Service) PrepareSynced(ctx context.Context, repo string, f SyncedFile, content ReaderAtSize) (*Prepared, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	r, err := s.store.Repository(ctx, repo)
	if err != nil {
		return nil, err
	}
	if err := s.checkReuse(ctx, r.ID, &f); err != nil {
		return nil, err
	}
	sum, err := contentSHA256(content)
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(sum, f.SHA256) {
		return nil, fmt.Errorf("%s: sha256 is %s, the upstream says %s: %w", f.Filename, sum, f.SHA256, errs.ErrInvalid)
	}
	p, err := s.prepare(ctx, Upload{Repository: repo, Filename: f.Filename, Content: content, mirrored: true, dist: f.Dist}, sum, func(row *metastore.File) error {
		f.apply(row)
		return checkSameRelease(ctx, s.store, r.ID, r.Latest, row)
	}, nil)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// PrepareRemote makes the row of a file whose bytes are not fetched (Presence remote):
// its metadata file (meta, the upstream's PEP 658 file or extracted by the caller) is
// parsed and stored; the body's digest and size are the upstream's. f.Size must be
// known.
func (s *Service) PrepareRemote(ctx context.Context, repo string, f SyncedFile, meta []byte) (*Prepared, error) {
	p, err := s.remoteRow(f, meta)
	if err != nil {
		return nil, err
	}
	r, err := s.store.Repository(ctx, repo)
	if err != nil {
		return nil, err
	}
	if err := s.checkReuse(ctx, r.ID, &f); err != nil {
		return nil, err
	}
	if err := checkSameRelease(ctx, s.store, r.ID, r.Latest, p.row); err != nil {
		return nil, err
	}
	if err := s.storeBlobs(ctx, []blobToStore{{bytes.NewReader(meta), p.row.MetadataSHA256, p.row.MetadataSize}}); err != nil {
		return nil, fmt.Errorf("storing the metadata of %s: %w", f.Filename, err)
	}
	return p, nil
}

// remoteRow checks f and its metadata file and makes the row of PrepareRemote.
func (s *Service) remoteRow(f SyncedFile, meta []byte) (*Prepared, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	if f.Size < 0 {
		return nil, fmt.Errorf("%s: the upstream gives no size: %w", f.Filename, errs.ErrInvalid)
	}
	dist, err := f.dist()
	if err != nil {
		return nil, err
	}
	if len(meta) == 0 || len(meta) > metadata.MaxSize {
		return nil, fmt.Errorf("%s: metadata file of %d bytes: %w", f.Filename, len(meta), errs.ErrInvalid)
	}
	md, err := metadata.Parse(meta)
	if err != nil {
		return nil, fmt.Errorf("%s: metadata: %w", f.Filename, err)
	}
	if names.Normalize(md.Name) != dist.Project() {
		return nil, fmt.Errorf("%s: the metadata names project %q: %w", f.Filename, md.Name, errs.ErrInvalid)
	}
	if mv, err := versions.Parse(md.Version); err != nil || mv.Compare(dist.Version) != 0 {
		return nil, fmt.Errorf("%s: the metadata gives version %q: %w", f.Filename, md.Version, errs.ErrInvalid)
	}
	parsed := encodeParsed(md)
	msum := sha256.Sum256(meta)
	row := &metastore.File{
		Filename: f.Filename, Project: dist.Project(), ProjectName: md.Name, Version: dist.Version.String(),
		Kind: string(dist.Kind), SHA256: strings.ToLower(f.SHA256), Size: f.Size,
		RequiresPython: md.RequiresPython, Summary: md.Summary, UploadTime: s.now(),
		MetadataSHA256: hex.EncodeToString(msum[:]), MetadataSize: int64(len(meta)),
		Presence: metastore.PresenceRemote,
	}
	f.apply(row)
	return &Prepared{row: row, parsed: parsed}, nil
}

// StoreDownloaded stores the bytes of a file that repo's latest version holds with
// Presence remote (its remote now has the immediate policy), downloaded by the caller to
// path: they are verified against the row, stored, and the row says stored. No version
// is made: presence is not content. A file already stored is left alone.
func (s *Service) StoreDownloaded(ctx context.Context, repo, filename, path string) error {
	r, err := s.store.Repository(ctx, repo)
	if err != nil {
		return err
	}
	row, err := s.store.FileAt(ctx, r.ID, r.Latest, filename)
	if err != nil {
		return err
	}
	if row.Presence != metastore.PresenceRemote {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := verifyFile(f, row); err != nil {
		return err
	}
	return s.storeFetched(ctx, row, f)
}

// SyncBatch prepares the files of one batch of a sync for OpenVersion.Apply. Unlike
// PrepareSynced and PrepareRemote it reads no rows and writes none: the rules of the
// repository are checked once, by Apply, which reports a refused file in its result; and
// the blobs go to one blobstore.Batch, made durable together by Commit, which must
// come before the Apply of the files (a committed row never points at bytes a crash can
// lose). Safe for concurrent use.
type SyncBatch struct {
	s     *Service
	blobs *blobstore.Batch
	// The blob store's deletions before the batch's first write (Store.Deletions), read
	// then: markRead; marked false when the store keeps no count or it could not be read.
	mu               sync.Mutex
	mark             int64
	marked, markRead bool
}

// NewSyncBatch starts a batch of synced files.
func (s *Service) NewSyncBatch() *SyncBatch { return &SyncBatch{s: s, blobs: s.blobs.NewBatch()} }

// marks reads the blob store's deletions on the batch's first call, before anything is
// written: Prepared.verifyMark.
func (b *SyncBatch) marks(ctx context.Context) (int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.markRead {
		n, ok, err := b.s.blobs.Deletions(ctx)
		b.mark, b.marked, b.markRead = n, ok && err == nil, err == nil
	}
	return b.mark, b.marked
}

// Synced is PrepareSynced in the batch.
func (b *SyncBatch) Synced(ctx context.Context, f SyncedFile, content ReaderAtSize) (*Prepared, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	mark, marked := b.marks(ctx)
	p, err := b.synced(ctx, f, content)
	if err != nil {
		return nil, err
	}
	p.verifyMark, p.verifyMarked = mark, marked
	return p, nil
}

func (b *SyncBatch) synced(ctx context.Context, f SyncedFile, content ReaderAtSize) (*Prepared, error) {
	content, sum, err := inMemory(content)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Filename, err)
	}
	if sum == "" {
		if sum, err = contentSHA256(content); err != nil {
			return nil, err
		}
	}
	if !strings.EqualFold(sum, f.SHA256) {
		return nil, fmt.Errorf("%s: sha256 is %s, the upstream says %s: %w", f.Filename, sum, f.SHA256, errs.ErrInvalid)
	}
	return b.s.prepare(ctx, Upload{Filename: f.Filename, Content: content, metadataInWheel: true, mirrored: true, dist: f.Dist}, sum, func(row *metastore.File) error {
		f.apply(row)
		return nil
	}, b.blobs)
}

// Spool starts a spool for a download that SyncedSpool then takes (Batch.Spool: in the
// blob store's own folder when it has one, else in dir). The caller closes it.
func (b *SyncBatch) Spool(dir string) (*blobstore.Spool, error) { return b.blobs.Spool(dir) }

// SyncedSpool is Synced for content downloaded into sp (from Spool), which the batch
// takes over without copying it (its file becomes the blob at Commit). The caller
// still closes sp.
func (b *SyncBatch) SyncedSpool(ctx context.Context, sf SyncedFile, sp *blobstore.Spool) (*Prepared, error) {
	return b.Synced(ctx, sf, adoptable{contentReader{sp, sp.Size()}, sp})
}

// inMemory returns content read once into memory when it is at most inMemoryInspect
// bytes (else content itself), for Synced to hash and inspect: the zip reader's many
// small ReadAt calls (the directory, every local header, every entry) were each a
// pread(2), tens per wheel, a good part of the CPU of a sync of small files. Content a
// batch may adopt stays adoptable (its bytes reach the blob store from the spool), and
// one held in memory by its spool is used as it is. The digest is returned when it
// comes for free (the spool's, or of the bytes just read); "" otherwise.
func inMemory(content ReaderAtSize) (ReaderAtSize, string, error) {
	a, adopt := content.(adoptable)
	sum := ""
	if adopt {
		// The spool hashed its bytes as they were written into it: they are what the
		// batch stores, so its digest checks them (as contentSHA256 trusts an upload's).
		sum = a.spool.Finish()
		if b := a.spool.Bytes(); b != nil {
			return adoptable{memContent{bytes.NewReader(b), b}, a.spool}, sum, nil
		}
	}
	size := content.Size()
	if size < 0 || size > inMemoryInspect {
		return content, sum, nil
	}
	if _, ok := content.(*bytes.Reader); ok {
		return content, sum, nil
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(io.NewSectionReader(content, 0, size), buf); err != nil {
		return nil, "", fmt.Errorf("reading the file: %w", err)
	}
	if adopt {
		return adoptable{memContent{bytes.NewReader(buf), buf}, a.spool}, sum, nil
	}
	h := sha256.Sum256(buf)
	return memContent{bytes.NewReader(buf), buf}, hex.EncodeToString(h[:]), nil
}

// memContent is content in memory that lends its bytes (Bytes, read only): the zip
// reader of inspect reads a small wheel's directory and members from them instead of
// copying the file again (archives.OpenZip).
type memContent struct {
	*bytes.Reader
	b []byte
}

func (m memContent) Bytes() []byte { return m.b }

// inMemoryInspect is the largest file Synced reads into memory to inspect (a sync's
// concurrency bounds how many are held at once).
const inMemoryInspect = 1 << 20

// Remote is PrepareRemote in the batch.
func (b *SyncBatch) Remote(ctx context.Context, f SyncedFile, meta []byte) (*Prepared, error) {
	p, err := b.s.remoteRow(f, meta)
	if err != nil {
		return nil, err
	}
	p.verifyMark, p.verifyMarked = b.marks(ctx)
	if err := b.s.putBlobs(ctx, p, []blobToStore{{bytes.NewReader(meta), p.row.MetadataSHA256, p.row.MetadataSize}}, b.blobs); err != nil {
		return nil, fmt.Errorf("storing the metadata of %s: %w", f.Filename, err)
	}
	return p, nil
}

// Commit makes the blobs written so far durable and stored.
func (b *SyncBatch) Commit(ctx context.Context) error { return b.blobs.Commit(ctx) }

// Pending is how many blobs wait for Commit.
func (b *SyncBatch) Pending() int { return b.blobs.Len() }

// Cancel drops the blobs not committed.
func (b *SyncBatch) Cancel() { b.blobs.Cancel() }

// ReleaseKey is what makes two prepared files interchangeable for an installer: the
// project, the release (PEP 440-equal versions are one: 1.0 and 1.0.0) and the kind,
// build and tags (an sdist's format). Apply refuses a second file with the key of one
// the repository holds (ErrDuplicateFile); a sync uses the key to keep one of two
// upstream files that would clash.
func (p *Prepared) ReleaseKey() string {
	k := keyOf(p.row.Kind, p.row.Filename)
	v := p.row.Version
	if pv, err := versions.Parse(v); err == nil {
		s := pv.String()
		prefix := releasePrefix(pv)
		i := strings.IndexByte(s, '!') + 1
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		v = prefix + s[i:]
	}
	return strings.Join([]string{p.row.Project, v, k.kind, k.build, k.tags, k.ext}, "|")
}

// contentReader adapts an io.ReaderAt of known size.
type contentReader struct {
	io.ReaderAt
	n int64
}

func (c contentReader) Size() int64 { return c.n }

// SizedReaderAt returns r with its size as content for PrepareSynced.
func SizedReaderAt(r io.ReaderAt, size int64) ReaderAtSize { return contentReader{r, size} }
