package mirror

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pydepot/pydepot/internal/blobstore"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/simpleindex"
)

// ErrBadFiles is the error of a sync some of whose files failed (without
// SkipBadFiles); the result lists them. It wraps errs.ErrInvalid.
var ErrBadFiles = fmt.Errorf("files failed: %w", errs.ErrInvalid)

// syncer is one sync in progress.
type syncer struct {
	m      *Mirror
	req    SyncRequest
	remote *Remote
	remID  int64
	repo   *metastore.Repository
	filter *Filter
	up     *upstream
	run    Run

	mu     sync.Mutex
	res    SyncResult
	adds   []index.Change    // of the batch being read
	keys   map[string]string // release key -> filename of the add holding it (this batch)
	others []index.Change    // yanks, unyanks, removals not applied yet
	// ver is the version the changes go into, batch by batch, opened by the first batch
	// that has any; blobs holds the bytes of the batch being read.
	ver   *index.OpenVersion
	blobs *index.SyncBatch
	// perProject: a SyncProject (pull-through), which does not wait for another
	// sync's open version of the repository.
	perProject bool
	// more: batches follow the one being brought (s.mu), so flushBehind gathers
	// handEvery changes before it hands them on.
	more bool
	// The two stages behind flushBehind: the committer makes the blobs of the changes
	// handed to it durable (committing is set while it runs), then moves the changes to
	// ready, which the writer applies (writing is set while it runs). writeErr is the
	// first error of either; wrote is signalled (with mu) whenever one takes changes or
	// stops.
	committing bool
	ready      []index.Change
	writing    bool
	writeErr   error
	wrote      *sync.Cond
	states     *stateSpool // the validators recorded at the end (s.mu)
	forget     []string    // projects whose state goes (gone upstream)
	done       atomic.Int64
	total      atomic.Int64
	bytes      atomic.Int64
	// totalBytes is the size of the files to download, as far as the upstream says.
	totalBytes atomic.Int64
	listing    map[string]bool  // --mirror: the projects the upstream lists (or the includes select)
	config     string           // the remote's selection digest
	removed    map[string]bool  // projects whose files from this remote go
	pages      map[string]*page // pages the dependency closure read, for the sync to use
	// failedProjects have a failed file: they keep their old state.
	failedProjects map[string]bool
	// blocklist is the repository's, read once per batch (a rule added during a sync
	// applies from the next batch on; Apply checks every file against the current one).
	blocklist *index.BlockSnapshot
}

// Sync brings what remote req.Remote selects into repository req.Repository as ONE new
// version (none when nothing changed), however many changes it has: each batch of
// projects is written into an index.OpenVersion as it is read, and the version is
// published at the end. Files that fail are reported in the result and, without
// SkipBadFiles, fail the sync (ErrBadFiles) with nothing applied. run may be nil.
func (m *Mirror) Sync(ctx context.Context, req SyncRequest, run Run) (*SyncResult, error) {
	s, err := m.newSyncer(ctx, req, run)
	if err != nil {
		return nil, err
	}
	defer s.discard(ctx)
	if err := s.collect(ctx); err != nil {
		return &s.res, err
	}
	return s.finish(ctx)
}

// SyncProject brings one project of remote into repo now, with the remote's filters
// (pull-through uses it): additive, failed files skipped and reported. A project the
// remote does not select (not in its --include list, or --exclude'd) is not read and
// nothing is added, as for a project the upstream does not have. With
// --with-dependencies the closure is not computed per request: a project an earlier
// sync of this remote into repo brought (a dependency) counts as selected.
func (m *Mirror) SyncProject(ctx context.Context, repo, remote, project string) (*SyncResult, error) {
	s, err := m.newSyncer(ctx, SyncRequest{Repository: repo, Remote: remote, SkipBadFiles: true}, nil)
	if err != nil {
		return nil, err
	}
	s.perProject = true
	defer s.discard(ctx)
	norm := names.Normalize(project)
	if ok, err := s.selects(ctx, norm); err != nil || !ok {
		return &s.res, err // not selected: as a project the upstream does not have
	}
	if err := s.batch(ctx, []listed{{Name: norm}}, map[string][]requirements.Requirement{norm: s.filter.includes[norm]}); err != nil {
		return &s.res, err
	}
	return s.finish(ctx)
}

// selects reports whether the remote's filters take project (normalized).
func (s *syncer) selects(ctx context.Context, project string) (bool, error) {
	if s.filter.ExcludesProject(project) {
		return false, nil
	}
	if s.filter.All() {
		return true, nil
	}
	if _, ok := s.filter.includes[project]; ok {
		return true, nil
	}
	if !s.remote.WithDependencies {
		return false, nil
	}
	st, err := s.m.store.SyncStates(ctx, s.remID, s.repo.ID, []string{project})
	return len(st) > 0, err
}

func (m *Mirror) newSyncer(ctx context.Context, req SyncRequest, run Run) (*syncer, error) {
	if run == nil {
		run = nopRun{}
	}
	if err := m.checkRequest(ctx, req); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(m.opts.TempDir, 0o700); err != nil {
		return nil, fmt.Errorf("sync temporary directory: %w", err)
	}
	row, err := m.store.Remote(ctx, req.Remote)
	if err != nil {
		return nil, err
	}
	remote, err := fromRow(row)
	if err != nil {
		return nil, err
	}
	repo, err := m.store.Repository(ctx, req.Repository)
	if err != nil {
		return nil, err
	}
	f, err := NewFilter(remote)
	if err != nil {
		return nil, err
	}
	up, err := m.dialed(remote)
	if err != nil {
		return nil, err
	}
	return &syncer{m: m, req: req, remote: remote, remID: row.ID, repo: repo, filter: f, up: up, run: run,
		res: SyncResult{Repository: repo.Name, Remote: remote.Name, Failed: []FileError{}}, keys: map[string]string{},
		config: remote.selection(), blobs: m.svc.NewSyncBatch(), states: newStateSpool(m.opts.TempDir)}, nil
}

// collect reads every selected project and prepares the changes.
func (s *syncer) collect(ctx context.Context) error {
	if !s.filter.All() {
		reqs := map[string][]requirements.Requirement{}
		for _, n := range s.filter.Included() {
			reqs[n] = s.filter.includes[n]
		}
		if s.remote.WithDependencies {
			var err error
			if reqs, err = s.closure(ctx); err != nil {
				return err
			}
		}
		projects := make([]string, 0, len(reqs))
		for n := range reqs {
			projects = append(projects, n)
		}
		slices.Sort(projects)
		bs := s.batches(ctx, reqs)
		defer bs.stop()
		for chunk := range slices.Chunk(projects, s.m.opts.Batch) {
			ls := make([]listed, len(chunk))
			for i, n := range chunk {
				ls[i] = listed{Name: n}
			}
			if err := bs.add(ls); err != nil {
				return err
			}
		}
		if err := bs.finish(); err != nil {
			return err
		}
		if s.req.Mirror {
			s.listing = map[string]bool{}
			for _, p := range projects {
				s.listing[p] = !s.filter.ExcludesProject(p)
			}
			return s.removeUnlisted(ctx)
		}
		return nil
	}
	return s.fullIndex(ctx)
}

// fullIndex spools the upstream's project list to a temporary file (the list may be
// hundreds of thousands of names, and the upstream should not wait on the sync), then
// reads it back in batches.
func (s *syncer) fullIndex(ctx context.Context) error {
	tmp, err := os.CreateTemp(s.m.opts.TempDir, "sync-list-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	w := bufio.NewWriter(tmp)
	if s.req.Mirror {
		s.listing = map[string]bool{}
	}
	err = s.up.projectList(ctx, func(l listed) error {
		if strings.ContainsAny(l.Name, "\n\t") {
			return nil
		}
		_, err := fmt.Fprintf(w, "%s\t%d\n", l.Name, l.Serial)
		return err
	})
	if err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	sc := bufio.NewScanner(tmp)
	var batch []listed
	// A listing restarted after a failure repeats names, and a listing may spell one
	// project twice: each is synced once. (The names alone: a few MB for 200,000.)
	seen := map[string]bool{}
	bs := s.batches(ctx, nil)
	defer bs.stop()
	for sc.Scan() {
		name, serial, _ := strings.Cut(sc.Text(), "\t")
		var l listed
		l.Name = names.Normalize(name)
		if seen[l.Name] {
			continue
		}
		seen[l.Name] = true
		fmt.Sscan(serial, &l.Serial)
		if s.listing != nil {
			s.listing[l.Name] = !s.filter.ExcludesProject(l.Name)
		}
		if batch = append(batch, l); len(batch) == s.m.opts.Batch {
			if err := bs.add(batch); err != nil {
				return err
			}
			batch = nil // bs keeps it
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if err := bs.add(batch); err != nil {
		return err
	}
	if err := bs.finish(); err != nil {
		return err
	}
	if s.listing != nil {
		return s.removeUnlisted(ctx)
	}
	return nil
}

// removeUnlisted (--mirror): the projects an earlier sync recorded that the upstream no
// longer lists, or that the remote no longer selects, lose their files from this remote.
func (s *syncer) removeUnlisted(ctx context.Context) error {
	var gone []string
	err := s.m.store.SyncedProjects(ctx, s.remID, s.repo.ID, func(p string) error {
		if !s.listing[p] {
			gone = append(gone, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range gone {
		if err := s.removeProject(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// heldFiles lists the files of project in the repository's latest version. A
// repository without a version holds none, and is not asked (the first sync of 2,000
// projects spent 0.1 s of CPU reading 2,000 empty answers).
func (s *syncer) heldFiles(ctx context.Context, project string) ([]metastore.File, error) {
	if s.repo.Latest == 0 {
		return nil, nil
	}
	return s.m.store.ProjectFiles(ctx, s.repo.ID, s.repo.Latest, project)
}

// removeProject drops every file of project that came from this remote.
func (s *syncer) removeProject(ctx context.Context, project string) error {
	cur, err := s.heldFiles(ctx, project)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.removed[project] {
		return nil
	}
	if s.removed == nil {
		s.removed = map[string]bool{}
	}
	s.removed[project] = true
	for _, f := range cur {
		if f.OriginRemote == s.remote.Name {
			s.others = append(s.others, index.Change{Kind: index.ChangeRemove, Filename: f.Filename})
		}
	}
	s.forget = append(s.forget, project)
	return nil
}

// job is one file to bring over.
type job struct {
	project string
	file    simpleindex.File
	dist    filenames.Dist // file's name, parsed
	// fill: the repository holds the file without its bytes (recorded under the
	// on_demand or streamed policy) and the remote's policy is now immediate.
	fill bool
	// stored is the size of the file's blob in the blob store when its batch was
	// planned (lookStored), -1 when it held none: reuse takes what is there.
	stored int64
}

// batch reads the pages of a batch of projects (concurrently, bounded), plans each,
// then brings over the files (concurrently, bounded). reqs gives each project's version
// requirements (nil: none, every version).
func (s *syncer) batch(ctx context.Context, ls []listed, reqs map[string][]requirements.Requirement) error {
	if len(ls) == 0 {
		return nil
	}
	jobs, err := s.plan(ctx, ls, reqs)
	if err != nil {
		return err
	}
	return s.bringBatch(ctx, jobs)
}

// batches runs a sync's batches one after the other, the pages of each read (plan)
// while the files of the one before download (bringBatch): reading a batch's pages
// was a tenth of a sync's time during which nothing downloaded. Plans run one at a
// time, in order; stop must be called (deferred) to end a plan still reading.
type batches struct {
	s       *syncer
	ctx     context.Context // of bringBatch, whose write goes on after the loop
	planCtx context.Context // of the plans, ended by stop
	cancel  context.CancelFunc
	reqs    map[string][]requirements.Requirement
	pending *planned
}

// planned is a batch whose pages are being read.
type planned struct {
	done chan struct{}
	jobs []job
	err  error
}

func (s *syncer) batches(ctx context.Context, reqs map[string][]requirements.Requirement) *batches {
	planCtx, cancel := context.WithCancel(ctx)
	return &batches{s: s, ctx: ctx, planCtx: planCtx, cancel: cancel, reqs: reqs}
}

// add starts reading the pages of ls (which add keeps), then brings over the files of
// the batch before it.
func (b *batches) add(ls []listed) error {
	if len(ls) == 0 {
		return nil
	}
	prev, had, err := b.wait()
	if err != nil {
		return err
	}
	p := &planned{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.jobs, p.err = b.s.plan(b.planCtx, ls, b.reqs)
	}()
	b.pending = p
	if !had {
		return nil
	}
	b.s.setMore(true)
	return b.s.bringBatch(b.ctx, prev)
}

// finish brings over the files of the last batch.
func (b *batches) finish() error {
	prev, had, err := b.wait()
	if err != nil || !had {
		return err
	}
	b.s.setMore(false)
	return b.s.bringBatch(b.ctx, prev)
}

// setMore says whether batches follow the one being brought (flushBehind).
func (s *syncer) setMore(more bool) {
	s.mu.Lock()
	s.more = more
	s.mu.Unlock()
}

// wait waits for the plan being read and returns its jobs; had is false when no plan
// was pending.
func (b *batches) wait() (jobs []job, had bool, err error) {
	p := b.pending
	if p == nil {
		return nil, false, nil
	}
	<-p.done
	b.pending = nil
	return p.jobs, true, p.err
}

// stop ends a plan still reading and waits for it.
func (b *batches) stop() {
	b.cancel()
	if b.pending != nil {
		<-b.pending.done
		b.pending = nil
	}
}

// plan reads the pages of a batch of projects (concurrently, bounded) and plans each:
// the files to bring over.
func (s *syncer) plan(ctx context.Context, ls []listed, reqs map[string][]requirements.Requirement) ([]job, error) {
	projects := make([]string, len(ls))
	for i, l := range ls {
		projects[i] = l.Name
	}
	bl, err := s.m.svc.BlockSnapshot(ctx, s.repo.Name)
	if err != nil {
		return nil, err
	}
	s.blocklist = bl
	states := map[string]metastore.SyncState{}
	for chunk := range slices.Chunk(projects, metastore.MaxBatch) {
		st, err := s.m.store.SyncStates(ctx, s.remID, s.repo.ID, chunk)
		if err != nil {
			return nil, err
		}
		for _, x := range st {
			states[x.Project] = x
		}
	}
	var jobs []job
	var jmu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.m.opts.Concurrency)
	for _, l := range ls {
		if s.filter.ExcludesProject(l.Name) {
			if s.req.Mirror {
				if err := s.removeProject(ctx, l.Name); err != nil {
					return nil, err
				}
			}
			continue
		}
		st, known := states[l.Name]
		if known && (s.req.Mirror && !st.Mirrored || st.Config != s.config) {
			// An additive sync's validators (the removals it saw were not applied), or
			// validators recorded under other filters.
			st, known = metastore.SyncState{}, false
		}
		if known && l.Serial > 0 && st.Serial == l.Serial {
			s.mu.Lock()
			s.res.Projects++
			s.res.NotModified++
			s.mu.Unlock()
			continue // the list says the project has not changed since
		}
		g.Go(func() error {
			js, err := s.project(gctx, l, st, reqs[l.Name])
			if err != nil {
				return err
			}
			jmu.Lock()
			jobs = append(jobs, js...)
			jmu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	// By project, then filename: bringBatch cuts waves between projects.
	sort.Slice(jobs, func(i, j int) bool {
		if jobs[i].project != jobs[j].project {
			return jobs[i].project < jobs[j].project
		}
		return jobs[i].file.Filename < jobs[j].file.Filename
	})
	if err := s.lookStored(ctx, jobs); err != nil {
		return nil, err
	}
	s.total.Add(int64(len(jobs)))
	if s.remote.Policy == PolicyImmediate {
		for _, j := range jobs {
			s.totalBytes.Add(max(j.file.Size, 0))
		}
	}
	s.progress()
	return jobs, nil
}

// bringBatch brings over the files of a planned batch in waves of about bringWave
// files, whole projects each: every wave is written (flushBehind) while the next one
// downloads. With one write per batch, the first batch's downloads ran with nothing
// written beside them and the last batch's write with nothing downloading, each a
// tenth of a sync.
func (s *syncer) bringBatch(ctx context.Context, jobs []job) error {
	for len(jobs) > 0 {
		n := waveEnd(jobs, bringWave)
		if err := s.bringWave(ctx, jobs[:n]); err != nil {
			return err
		}
		jobs = jobs[n:]
	}
	return nil
}

// bringWave is how many files a wave of bringBatch takes, more when a project has more.
const bringWave = 500

// waveEnd is the length of the first wave of jobs (sorted by project): at least size
// jobs (or all of them), ending with the last file of a project.
func waveEnd(jobs []job, size int) int {
	n := min(size, len(jobs))
	for n < len(jobs) && jobs[n].project == jobs[n-1].project {
		n++
	}
	return n
}

// bringWave brings over the files of a wave (concurrently, bounded), then starts
// writing them (flushBehind).
func (s *syncer) bringWave(ctx context.Context, jobs []job) error {
	g, gctx := errgroup.WithContext(ctx)
	prepared := make([]*index.Prepared, len(jobs))
	stopCommits := s.commitEvery(ctx, blobCommitEvery)
	defer stopCommits()
	// A fixed set of workers takes the jobs in turn, rather than a goroutine per file:
	// each new goroutine's stack grew again in the inflater's reset (a large struct
	// built by value), a good part of inspecting a small wheel.
	var next atomic.Int64
	for range min(s.m.opts.Concurrency, len(jobs)) {
		g.Go(func() error {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(jobs) || gctx.Err() != nil {
					return nil
				}
				p, err := s.bringJob(gctx, jobs[i])
				if err != nil {
					return err
				}
				prepared[i] = p
			}
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := stopCommits(); err != nil {
		return err
	}
	s.mu.Lock()
	clear(s.keys) // a project is in one wave: its files clash only among themselves
	for i, p := range prepared {
		if p == nil {
			continue
		}
		key := p.ReleaseKey()
		if other, dup := s.keys[key]; dup {
			s.skipLocked(FileError{Project: jobs[i].project, Filename: jobs[i].file.Filename,
				Error: "a second file of its release for the same tags: " + other + " is kept"})
			continue
		}
		s.keys[key] = jobs[i].file.Filename
		s.adds = append(s.adds, index.Change{Kind: index.ChangeAdd, File: p})
	}
	s.mu.Unlock()
	return s.flushBehind(ctx)
}

// lookStored finds which of a batch's files the blob store holds already, all at once
// (a Stat per file was a query per file on packed blobs), into each job's stored, for
// reuse. It runs in plan, beside the downloads of the batch before: done at the start
// of each wave, the downloads waited for it, a twentieth of a sync.
func (s *syncer) lookStored(ctx context.Context, jobs []job) error {
	shas := make([]string, 0, len(jobs))
	sizes := make([]int64, 0, len(jobs))
	of := make([]int, 0, len(jobs)) // the job of each digest in shas
	for i := range jobs {
		jobs[i].stored = -1
		if sha := strings.ToLower(jobs[i].file.SHA256()); !jobs[i].fill && blobstore.ValidSHA256(sha) {
			shas = append(shas, sha)
			sizes = append(sizes, jobs[i].file.Size)
			of = append(of, i)
		}
	}
	present, err := s.m.svc.Blobs().Reusable(ctx, shas, sizes)
	if err != nil {
		return err
	}
	for k, sha := range shas {
		if size, ok := present[sha]; ok {
			jobs[of[k]].stored = size
		}
	}
	return nil
}

// bringJob runs one job of a batch: the file's bytes stored (fill) or the file prepared
// to add. A failure of the file alone is recorded and gives (nil, nil); the error
// returned is one that stops the sync.
func (s *syncer) bringJob(ctx context.Context, j job) (*index.Prepared, error) {
	var p *index.Prepared
	var err error
	if j.fill {
		err = s.fill(ctx, j)
	} else {
		p, err = s.bring(ctx, j)
	}
	s.done.Add(1)
	s.progress()
	if err != nil {
		if permanentSyncError(err) {
			return nil, err
		}
		s.fail(j.project, j.file.Filename, err)
		return nil, nil
	}
	return p, nil
}

// flushBehind hands the changes read so far, once there are handEvery of them (or
// any, during the last batch), to the stages that write them while the next waves
// download: the committer makes their blobs durable (a pack, or files, and their
// fsyncs), then the writer applies them in the version's write transaction. Each stage
// is serial, and they run beside each other and beside the downloads: the committer
// commits a handful's blobs while the writer applies the one before. A busy stage
// takes, when its work ends, what came meanwhile (at least handEvery, during the last
// batch anything): a write costs the pages it dirties (digest indexes, random), a few
// MB whatever its size, so fewer and larger ones when that stage is the slower side.
// Downloads wait only while maxPending changes are waiting. A stage's error is
// returned by the next flushBehind or waitFlush.
func (s *syncer) flushBehind(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wrote == nil {
		s.wrote = sync.NewCond(&s.mu)
	}
	for (s.committing || s.writing) && s.writeErr == nil && len(s.adds)+len(s.others)+len(s.ready) > maxPending {
		s.wrote.Wait()
	}
	if s.writeErr != nil {
		return s.writeErr
	}
	if n := len(s.adds) + len(s.others); !s.committing && (n >= handEvery || !s.more && n > 0) {
		s.committing = true
		go s.committer(ctx)
	}
	return nil
}

// handEvery is how many changes flushBehind gathers before it hands them to the
// stages, while more batches follow (during the last one, each wave goes at once: what
// is left when its downloads end is written with nothing downloading beside it). Each
// commit and each write dirties the same pages of the digest indexes (random) whatever
// its size, in the blob store's pack index and in the metadata database: with a wave
// (500) at a time, a sync of 20,000 files made 117,000 pwrite(2)s of pages, 74,000
// with 2,000 (and 10% less CPU).
const handEvery = 4 * bringWave

// maxPending bounds the changes waiting for busy stages: what they work on and the next
// handful.
const maxPending = 2 * handEvery

// committer commits the blobs of what flushBehind handed it, and hands the changes to
// the writer, until fewer than flushBehind would hand on wait.
func (s *syncer) committer(ctx context.Context) {
	for {
		s.mu.Lock()
		var changes []index.Change
		if n := len(s.adds) + len(s.others); n >= handEvery || !s.more {
			changes = s.takeLocked()
		}
		if len(changes) == 0 || s.writeErr != nil {
			s.committing = false
			s.wrote.Broadcast()
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		err := s.blobs.Commit(ctx)
		s.mu.Lock()
		if err != nil {
			s.stopLocked(err)
			s.committing = false
			s.mu.Unlock()
			return
		}
		s.ready = append(s.ready, changes...)
		if !s.writing {
			s.writing = true
			go s.writer(ctx)
		}
		s.wrote.Broadcast()
		s.mu.Unlock()
	}
}

// writer applies the changes whose blobs the committer made durable, until nothing
// waits.
func (s *syncer) writer(ctx context.Context) {
	for {
		s.mu.Lock()
		changes := s.ready
		s.ready = nil
		if len(changes) == 0 || s.writeErr != nil {
			s.writing = false
			s.wrote.Broadcast()
			s.mu.Unlock()
			return
		}
		s.wrote.Broadcast() // room for more
		s.mu.Unlock()
		if err := s.apply(ctx, changes); err != nil {
			s.mu.Lock()
			s.stopLocked(err)
			s.writing = false
			s.mu.Unlock()
			return
		}
	}
}

// stopLocked records a stage's error (the first one) and wakes who waits; s.mu is held.
func (s *syncer) stopLocked(err error) {
	if s.writeErr == nil {
		s.writeErr = err
	}
	s.wrote.Broadcast()
}

// waitFlush waits until both stages have written what they were handed, and returns
// their error.
func (s *syncer) waitFlush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.committing || s.writing {
		s.wrote.Wait()
	}
	return s.writeErr
}

// takeLocked returns the changes read so far and forgets them; s.mu is held.
func (s *syncer) takeLocked() []index.Change {
	changes := append(s.adds, s.others...)
	s.adds, s.others = nil, nil
	return changes
}

// flush writes the changes read so far into the open version (opening it on the first
// change), once the bytes of their files are durable, and forgets them: a sync holds
// one batch of prepared files, never the whole index.
func (s *syncer) flush(ctx context.Context) error {
	if err := s.waitFlush(); err != nil {
		return err
	}
	s.mu.Lock()
	changes := s.takeLocked()
	s.mu.Unlock()
	return s.write(ctx, changes)
}

// write makes the blobs written so far durable, then applies changes.
func (s *syncer) write(ctx context.Context, changes []index.Change) error {
	if err := s.blobs.Commit(ctx); err != nil {
		return err
	}
	return s.apply(ctx, changes)
}

// apply applies changes, whose blobs are durable, to the open version, opening it on
// the first change.
func (s *syncer) apply(ctx context.Context, changes []index.Change) error {
	if len(changes) == 0 {
		return nil
	}
	if s.ver == nil {
		open := s.m.svc.OpenVersion
		if s.perProject {
			open = s.m.svc.OpenVersionNow
		}
		v, err := open(ctx, s.repo.Name, fmt.Sprintf("sync %s", s.remote.Name))
		if err != nil {
			return fmt.Errorf("sync of %s into %s: %w", s.remote.Name, s.repo.Name, err)
		}
		s.ver = v
	}
	for chunk := range slices.Chunk(changes, s.m.opts.MaxChanges) {
		results, err := s.ver.Apply(ctx, chunk)
		if err != nil {
			return fmt.Errorf("sync of %s into %s: %w", s.remote.Name, s.repo.Name, err)
		}
		for i, cr := range results {
			if cr.Err != nil {
				f := chunk[i].File.File()
				s.fail(f.Project, f.Filename, cr.Err)
				continue
			}
			if !cr.Changed {
				continue
			}
			s.mu.Lock()
			switch chunk[i].Kind {
			case index.ChangeAdd:
				s.res.Added++
			case index.ChangeRemove:
				s.res.Removed += cr.Matched
			default:
				s.res.Changed += cr.Matched
			}
			s.mu.Unlock()
		}
	}
	return nil
}

// discard undoes an open version that was not published (an error, a cancel, failed
// files) and drops the blobs not committed.
func (s *syncer) discard(ctx context.Context) {
	_ = s.waitFlush() // its error was returned, or is moot: the version goes
	s.states.close()
	s.blobs.Cancel()
	if s.ver != nil {
		if err := s.ver.Discard(ctx); err != nil {
			s.m.log.Warn("sync: discarding the unpublished version", "repository", s.repo.Name, "err", err)
		}
	}
}

// blobCommitEvery is how often the bytes downloaded so far are made durable while a
// batch downloads: a sync cut off mid-batch (a crash) keeps what it fetched up to the
// last commit, and the next sync reuses it, at the price of a few fsyncs a second.
const blobCommitEvery = 500 * time.Millisecond

// commitEvery commits the blob batch every interval until the returned function is
// called; that function stops it and returns the first commit error.
func (s *syncer) commitEvery(ctx context.Context, interval time.Duration) func() error {
	stop, stopped := make(chan struct{}), make(chan struct{})
	var first error
	go func() {
		defer close(stopped)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				if s.blobs.Pending() == 0 {
					continue
				}
				if err := s.blobs.Commit(ctx); err != nil && first == nil {
					first = err
				}
			}
		}
	}()
	var once sync.Once
	return func() error {
		once.Do(func() { close(stop); <-stopped })
		return first
	}
}

// permanentSyncError is an error of one file that no other file would escape: the
// sync stops (the storage is full, the sync was cancelled).
func permanentSyncError(err error) bool {
	return errs.IsStorageFull(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

func (s *syncer) fail(project, filename string, err error) {
	s.mu.Lock()
	s.res.FailedTotal++
	if len(s.res.Failed) < s.m.opts.MaxReported {
		s.res.Failed = append(s.res.Failed, FileError{Project: project, Filename: filename, Error: errs.Message(err)})
	}
	if s.failedProjects == nil {
		s.failedProjects = map[string]bool{}
	}
	s.failedProjects[project] = true
	s.mu.Unlock()
	s.run.Logf("%s: %s", filename, errs.Message(err))
	s.m.log.Warn("sync: file failed", "remote", s.remote.Name, "repository", s.repo.Name, "filename", filename, "err", err)
}

func (s *syncer) progress() {
	s.run.SetProgress(Progress{DoneItems: s.done.Load(), TotalItems: s.total.Load(), DoneBytes: s.bytes.Load(), TotalBytes: s.totalBytes.Load()})
}

// finish applies what was collected as one version and records the sync state.
func (s *syncer) finish(ctx context.Context) (*SyncResult, error) {
	res := &s.res
	// The last batch's write may still run (flushBehind): its failed files count.
	if err := s.waitFlush(); err != nil {
		return res, err
	}
	if res.FailedTotal > 0 && !s.req.SkipBadFiles {
		return res, fmt.Errorf("sync of %s into %s: %d %s (first: %s %s); nothing was applied; --skip-bad-files applies the rest: %w",
			s.remote.Name, s.repo.Name, res.FailedTotal, plural(res.FailedTotal, "file failed", "files failed"),
			res.Failed[0].Filename, res.Failed[0].Error, ErrBadFiles)
	}
	if err := s.flush(ctx); err != nil { // the removals of --mirror's last pass
		return res, err
	}
	if res.FailedTotal > 0 && !s.req.SkipBadFiles { // files the rules refused while writing
		return res, fmt.Errorf("sync of %s into %s: %d %s (first: %s %s); nothing was applied; --skip-bad-files applies the rest: %w",
			s.remote.Name, s.repo.Name, res.FailedTotal, plural(res.FailedTotal, "file failed", "files failed"),
			res.Failed[0].Filename, res.Failed[0].Error, ErrBadFiles)
	}
	if s.ver != nil {
		ar, err := s.ver.Publish(ctx)
		if err != nil {
			return res, fmt.Errorf("sync of %s into %s: %w", s.remote.Name, s.repo.Name, err)
		}
		if ar.Made {
			res.Version = ar.Version
		}
	}
	// A project with a failed file keeps its old state, so that the next sync reads it again.
	base := metastore.SyncState{RemoteID: s.remID, RepositoryID: s.repo.ID, Config: s.config}
	err := s.m.store.InTx(ctx, func(tx metastore.Tx) error {
		err := s.states.each(metastore.MaxBatch, base, func(chunk []metastore.SyncState) error {
			chunk = slices.DeleteFunc(chunk, func(st metastore.SyncState) bool { return s.failedProjects[st.Project] })
			if len(chunk) == 0 {
				return nil
			}
			return tx.PutSyncStates(ctx, chunk)
		})
		if err != nil {
			return err
		}
		for _, p := range s.forget {
			if err := tx.DeleteSyncStates(ctx, s.remID, s.repo.ID, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("recording the sync state: %w", err)
	}
	if c, ok := s.m.store.(metastore.Checkpointer); ok && res.Version > 0 && res.Added+res.Removed+res.Changed >= checkpointAfter {
		// A large version's pages are folded into the database after the sync, not by
		// the next writer (the first re-sync after it took a third longer).
		c.CheckpointLater(ctx)
	}
	s.m.log.Info("sync finished", "remote", s.remote.Name, "repository", s.repo.Name, "version", res.Version,
		"added", res.Added, "removed", res.Removed, "changed", res.Changed, "failed", res.FailedTotal,
		"projects", res.Projects, "not_modified", res.NotModified, "downloaded", res.Downloaded, "bytes", res.Bytes)
	return res, nil
}

// checkpointAfter is the size of a sync (files added, removed or changed) from which it
// has the store fold its log in at its end. A smaller one leaves its few pages to the
// store's own checkpoint: a pull-through page's sync changes ten files, and a checkpoint
// after each (three fsyncs, the writer held meanwhile) made a cold page take half as long
// again as proxpi's.
const checkpointAfter = 1000

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// skipLocked records skipped files (s.mu held).
func (s *syncer) skipLocked(fs ...FileError) {
	for _, f := range fs {
		s.res.SkippedTotal++
		if len(s.res.Skipped) < s.m.opts.MaxReported {
			s.res.Skipped = append(s.res.Skipped, f)
		}
	}
}
