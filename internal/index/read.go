package index

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/versions"
)

// view resolves the repository and version a distribution serves, reading the current
// state (d may be stale).
func (s *Service) view(ctx context.Context, d *Distribution) (int64, int, error) {
	if d == nil {
		return 0, 0, fmt.Errorf("no distribution: %w", errs.ErrNotFound)
	}
	id, latest, err := s.store.RepositoryLatest(ctx, d.Repository)
	if err != nil {
		return 0, 0, err
	}
	n := latest
	if d.Pinned != nil {
		if *d.Pinned < 0 || *d.Pinned > latest {
			return 0, 0, fmt.Errorf("repository %s has no version %d: %w", d.Repository, *d.Pinned, errs.ErrNotFound)
		}
		n = *d.Pinned
	}
	return id, n, nil
}

func fileOut(f *metastore.File) File {
	return File{
		Filename: f.Filename, Project: f.Project, ProjectName: f.ProjectName, Version: f.Version,
		Kind: filenames.Kind(f.Kind), SHA256: f.SHA256, Size: f.Size, UploadTime: f.UploadTime,
		RequiresPython: f.RequiresPython, Yanked: f.Yanked, YankReason: f.YankReason,
		MetadataSHA256: f.MetadataSHA256, Summary: f.Summary, ImportNames: f.ImportNames,
		Origin: f.Origin, OriginRemote: f.OriginRemote, Presence: f.Presence,
	}
}

// Projects implements API.
func (s *Service) Projects(ctx context.Context, d *Distribution) ([]ProjectSummary, int64, error) {
	if d != nil && d.Sources != nil {
		return s.mergedProjects(ctx, d)
	}
	repoID, n, err := s.view(ctx, d)
	if err != nil {
		return nil, 0, err
	}
	ps, serial, err := s.store.Projects(ctx, repoID, n)
	if err != nil {
		return nil, 0, err
	}
	out := make([]ProjectSummary, len(ps))
	for i, p := range ps {
		out[i] = ProjectSummary{Name: p.Name, DisplayName: p.DisplayName, Serial: p.Serial}
	}
	return out, serial, nil
}

// LastSerial implements API.
func (s *Service) LastSerial(ctx context.Context, d *Distribution) (int64, error) {
	if d != nil && d.Sources != nil {
		_, serial, err := s.mergedProjects(ctx, d)
		return serial, err
	}
	repoID, n, err := s.view(ctx, d)
	if err != nil {
		return 0, err
	}
	return s.store.LastSerial(ctx, repoID, n)
}

// EachProject implements API.
func (s *Service) EachProject(ctx context.Context, d *Distribution, fn func(ProjectSummary) error) error {
	if d != nil && d.Sources != nil {
		ps, _, err := s.mergedProjects(ctx, d)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if err := fn(p); err != nil {
				return err
			}
		}
		return nil
	}
	repoID, n, err := s.view(ctx, d)
	if err != nil {
		return err
	}
	return s.store.EachProject(ctx, repoID, n, func(p *metastore.ProjectSummary) error {
		return fn(ProjectSummary{Name: p.Name, DisplayName: p.DisplayName, Serial: p.Serial})
	})
}

// Project implements API. name is normalized first, so callers may pass any spelling.
// Its display name and status are those of the version served.
func (s *Service) Project(ctx context.Context, d *Distribution, name string) (*Project, error) {
	norm := names.Normalize(name)
	if d != nil && d.Sources != nil {
		return s.mergedProject(ctx, d, norm)
	}
	return s.project(ctx, d, norm, s.store.ProjectFiles)
}

// ProjectPage implements API.
func (s *Service) ProjectPage(ctx context.Context, d *Distribution, name string) (*Project, error) {
	norm := names.Normalize(name)
	if d != nil && d.Sources != nil {
		return s.mergedProject(ctx, d, norm)
	}
	return s.project(ctx, d, norm, s.store.ProjectPageFiles)
}

// project reads project norm of a plain distribution with its files read by files.
func (s *Service) project(ctx context.Context, d *Distribution, norm string, files func(ctx context.Context, repoID int64, version int, project string) ([]metastore.File, error)) (*Project, error) {
	repoID, n, err := s.view(ctx, d)
	if err != nil {
		return nil, err
	}
	p, err := s.store.Project(ctx, repoID, n, norm)
	if err != nil {
		return nil, err
	}
	rows, err := files(ctx, repoID, n, norm)
	if err != nil {
		return nil, err
	}
	if rows, err = s.quarantine(ctx, d, repoID, norm, rows); err != nil {
		return nil, err
	}
	out := &Project{Name: p.Name, DisplayName: p.DisplayName, Serial: p.Serial, Status: p.Status, StatusReason: p.StatusReason,
		Files: make([]File, len(rows))}
	if out.Status == "" {
		out.Status = "active"
	}
	// Rows are converted once, straight into their place (no sort of the large Files).
	for j, i := range fileOrder(len(rows), func(i int) (string, string) { return rows[i].Version, rows[i].Filename }) {
		out.Files[j] = fileOut(&rows[i])
	}
	for _, f := range out.Files {
		if len(out.Versions) == 0 || out.Versions[len(out.Versions)-1] != f.Version {
			out.Versions = append(out.Versions, f.Version)
		}
	}
	return out, nil
}

// sortFiles sorts by PEP 440 version, then filename. Versions are parsed once each, and
// the sort moves small keys, not files: on 5,000 files the map lookups of each comparison
// and the moves of 300-byte files were a tenth of a page's first render.
func sortFiles(fs []File) {
	order := fileOrder(len(fs), func(i int) (string, string) { return fs[i].Version, fs[i].Filename })
	sorted := make([]File, len(fs))
	for j, i := range order {
		sorted[j] = fs[i]
	}
	copy(fs, sorted)
}

// fileOrder returns the indexes 0..n-1 in the order sortFiles gives the files whose
// version and filename at is tells: PEP 440 order of versions (each parsed once;
// unparsable ones after every parsable one, by text), then filename.
func fileOrder(n int, at func(i int) (version, filename string)) []int {
	type key struct {
		v   *versions.Version // nil: unparsable, after every parsable one, by text
		ver string
		fn  string
		i   int
	}
	parsed := make(map[string]*versions.Version, n)
	keys := make([]key, n)
	for i := range n {
		ver, fn := at(i)
		v, seen := parsed[ver]
		if !seen {
			if pv, err := versions.Parse(ver); err == nil {
				v = &pv
			}
			parsed[ver] = v
		}
		keys[i] = key{v: v, ver: ver, fn: fn, i: i}
	}
	slices.SortStableFunc(keys, func(a, b key) int {
		if a.ver != b.ver {
			switch {
			case a.v != nil && b.v != nil:
				if c := a.v.Compare(*b.v); c != 0 {
					return c
				}
			case a.v != nil:
				return -1
			case b.v != nil:
				return 1
			}
			if c := strings.Compare(a.ver, b.ver); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.fn, b.fn)
	})
	order := make([]int, n)
	for j, k := range keys {
		order[j] = k.i
	}
	return order
}

// File implements API.
func (s *Service) File(ctx context.Context, d *Distribution, filename string) (*File, error) {
	f, err := s.fileRow(ctx, d, filename)
	if err != nil {
		return nil, err
	}
	out := fileOut(f)
	return &out, nil
}

// fileRow finds the row of a file the version (or merged view) d serves holds.
func (s *Service) fileRow(ctx context.Context, d *Distribution, filename string) (*metastore.File, error) {
	if d != nil && d.Sources != nil {
		return s.mergedFileRow(ctx, d, filename)
	}
	repoID, n, err := s.view(ctx, d)
	if err != nil {
		return nil, err
	}
	f, err := s.store.FileAt(ctx, repoID, n, filename)
	if err != nil {
		return nil, err
	}
	return f, s.mayServe(ctx, d, f)
}

// OpenedFile is a distribution file, or its core metadata file, opened for serving.
type OpenedFile struct {
	File     *File
	Metadata bool   // the core metadata file (PEP 658) rather than the file itself
	SHA256   string // of the bytes served
	Size     int64
	Body     Blob // nil when URL is set
	// URL, when the blob store serves its blobs itself (S3's presigned GETs) and the
	// caller asked for a redirect, is where the client fetches the bytes.
	URL string
}

// OpenFile implements API: the one way a file is served, by distribution and filename.
// name is a filename of the version d serves, or that filename with ".metadata" for its
// core metadata file. A file known but not stored (Presence remote, recorded by a sync)
// is fetched from its remote through the RemoteFetcher (fetch.go), kept or not as the
// remote's policy says; without a fetcher it is ErrNotFound. With redirect > 0 and a
// blob store that gives direct URLs, a stored file is not opened: URL is set, valid for
// redirect.
func (s *Service) OpenFile(ctx context.Context, d *Distribution, name string, redirect time.Duration) (*OpenedFile, error) {
	filename, wantMeta := strings.CutSuffix(name, ".metadata")
	row, err := s.fileRow(ctx, d, filename)
	if err != nil {
		return nil, err
	}
	fo := fileOut(row)
	f := &fo
	if f.Presence == metastore.PresenceRemote && !wantMeta {
		body, err := s.openRemote(ctx, row)
		if err != nil {
			return nil, err
		}
		return &OpenedFile{File: f, SHA256: f.SHA256, Size: f.Size, Body: body}, nil
	}
	if wantMeta {
		if f.MetadataSHA256 == "" {
			return nil, fmt.Errorf("file %s has no metadata file: %w", filename, errs.ErrNotFound)
		}
		return s.openMetadata(ctx, f, row, redirect)
	}
	sha := f.SHA256
	if redirect > 0 {
		u, err := s.blobs.URLFor(ctx, sha, redirect)
		if err != nil {
			return nil, err
		}
		if u != "" {
			return &OpenedFile{File: f, SHA256: sha, Size: -1, URL: u}, nil
		}
	}
	body, size, err := s.blobs.Open(ctx, sha)
	if err != nil {
		return nil, err
	}
	return &OpenedFile{File: f, SHA256: sha, Size: size, Body: body}, nil
}

// OpenBlob implements API.
func (s *Service) OpenBlob(ctx context.Context, sha256 string) (Blob, int64, error) {
	return s.blobs.Open(ctx, sha256)
}

// ImportCandidates implements API.
func (s *Service) ImportCandidates(ctx context.Context, d *Distribution, module string) ([]string, error) {
	_, projects, err := s.ImportMatch(ctx, d, module)
	return projects, err
}

// maxImportDepth bounds the dotted components of a module looked up.
const maxImportDepth = 8

// ImportMatch implements API: the longest dotted prefix of module that some file
// records wins (walt.client.cli matches walt.client, provided by walt-client only,
// before walt, which all four WalT projects provide).
func (s *Service) ImportMatch(ctx context.Context, d *Distribution, module string) (string, []string, error) {
	var (
		repoID int64
		n      int
		srcs   []viewSource
		err    error
	)
	if d != nil && d.Sources != nil {
		srcs, err = s.resolve(ctx, d)
	} else {
		repoID, n, err = s.view(ctx, d)
	}
	if err != nil {
		return "", nil, err
	}
	module = strings.TrimSpace(module)
	if module == "" {
		return "", nil, fmt.Errorf("empty module name: %w", errs.ErrInvalid)
	}
	parts := strings.Split(module, ".")
	if len(parts) > maxImportDepth || len(module) > 512 {
		return "", nil, fmt.Errorf("module name %.40q...: over %d components or 512 bytes: %w", module, maxImportDepth, errs.ErrInvalid)
	}
	if srcs == nil {
		return s.importMatch(ctx, repoID, n, module, len(parts))
	}
	for i := len(parts); i > 0; i-- {
		name := strings.Join(parts[:i], ".")
		projects, err := s.mergedImportProviders(ctx, d, srcs, name)
		if err != nil {
			return "", nil, err
		}
		if len(projects) > 0 {
			return name, projects, nil
		}
	}
	return "", nil, nil
}

// importMatch is ImportMatch in one version: every dotted prefix of module (of depth
// components) is looked up in one query, and the longest one provided wins.
func (s *Service) importMatch(ctx context.Context, repoID int64, n int, module string, depth int) (string, []string, error) {
	prefixes := make([]string, 0, depth)
	for i, c := range module {
		if c == '.' {
			prefixes = append(prefixes, module[:i])
		}
	}
	prefixes = append(prefixes, module)
	got, err := s.store.ImportProvidersByName(ctx, repoID, n, prefixes)
	if err != nil || len(got) == 0 {
		return "", nil, err
	}
	best := ""
	for _, ip := range got {
		if len(ip.Name) > len(best) { // every name is a prefix of module: longer is deeper
			best = ip.Name
		}
	}
	var projects []string
	for _, ip := range got {
		if ip.Name == best {
			projects = append(projects, ip.Project)
		}
	}
	return best, projects, nil
}
