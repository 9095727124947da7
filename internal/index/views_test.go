package index_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
)

func uploadRepo(t testing.TB, s *index.Service, repo, filename string, data []byte) *index.File {
	t.Helper()
	f, _, err := s.Upload(context.Background(), index.Upload{Repository: repo, Filename: filename, Content: bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("uploading %s to %s: %v", filename, repo, err)
	}
	return f
}

// guardSetup: hosted holds the internal acme-utils 1.0, mirror the public acme-utils
// 99.0 and other-pkg 1.0; "team" serves hosted then mirror.
func guardSetup(t *testing.T, allow ...string) (*index.Service, *index.Distribution) {
	t.Helper()
	ctx := context.Background()
	s := newService(t)
	for _, r := range []string{"hosted", "mirror"} {
		if _, err := s.CreateRepository(ctx, r, ""); err != nil {
			t.Fatal(err)
		}
	}
	uploadRepo(t, s, "hosted", "acme_utils-1.0-py3-none-any.whl", mustSynth("acme-utils", "1.0"))
	uploadRepo(t, s, "mirror", "acme_utils-99.0-py3-none-any.whl", mustSynth("acme-utils", "99.0"))
	uploadRepo(t, s, "mirror", "other_pkg-1.0-py3-none-any.whl", mustSynth("other-pkg", "1.0"))
	d, err := s.CreateDistribution(ctx, index.Distribution{BasePath: "team", Public: true,
		Sources: []index.Source{{Repository: "hosted"}, {Repository: "mirror"}}, AllowShadow: allow})
	if err != nil {
		t.Fatal(err)
	}
	if d.Repository != "hosted" || len(d.Sources) != 2 {
		t.Fatalf("created %+v", d)
	}
	return s, d
}

func mustSynth(name, version string) []byte {
	_, b := synthWheel(name, version)
	return b
}

func versionsOf(t *testing.T, s *index.Service, d *index.Distribution, project string) []string {
	t.Helper()
	p, err := s.Project(context.Background(), d, project)
	if err != nil {
		t.Fatalf("Project(%s): %v", project, err)
	}
	return p.Versions
}

// TestMergedViewGuard: a project an earlier source holds hides the later sources'
// project of that name everywhere (list, page, file, import lookup), even after its
// files are removed; other projects of the later source show through.
func TestMergedViewGuard(t *testing.T) {
	ctx := context.Background()
	s, d := guardSetup(t)
	ps, _, err := s.Projects(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.Name)
	}
	if !slices.Equal(got, []string{"acme-utils", "other-pkg"}) {
		t.Errorf("projects %v", got)
	}
	if v := versionsOf(t, s, d, "Acme_Utils"); !slices.Equal(v, []string{"1.0"}) {
		t.Errorf("acme-utils versions %v, want only the internal 1.0", v)
	}
	if _, err := s.OpenFile(ctx, d, "acme_utils-99.0-py3-none-any.whl", 0); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("the hidden public file is served: %v", err)
	}
	of, err := s.OpenFile(ctx, d, "other_pkg-1.0-py3-none-any.whl", 0)
	if err != nil {
		t.Fatalf("a project only the mirror has: %v", err)
	}
	of.Body.Close()
	if _, projects, err := s.ImportMatch(ctx, d, "other_pkg"); err != nil || !slices.Equal(projects, []string{"other-pkg"}) {
		t.Errorf("import lookup through the view: %v, %v", projects, err)
	}

	// The internal release removed: the public one still does not take its place.
	if err := s.Remove(ctx, "hosted", "acme-utils", "1.0", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Project(ctx, d, "acme-utils"); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("after removing the internal files the public project shows: %v", err)
	}
	ps, _, _ = s.Projects(ctx, d)
	if len(ps) != 1 || ps[0].Name != "other-pkg" {
		t.Errorf("projects after the removal: %+v", ps)
	}
	if _, err := s.OpenFile(ctx, d, "acme_utils-99.0-py3-none-any.whl", 0); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("after the removal the public file is served: %v", err)
	}
	if _, projects, _ := s.ImportMatch(ctx, d, "acme_utils"); len(projects) != 0 {
		t.Errorf("import lookup finds the hidden project: %v", projects)
	}
}

// TestMergedViewAllowShadow: an allow-listed name merges the files of every source, the
// earlier source's file winning a filename both hold; its serial rises with a change in
// any source, as does the list's.
func TestMergedViewAllowShadow(t *testing.T) {
	ctx := context.Background()
	s, d := guardSetup(t, "Acme.Utils")
	if !slices.Equal(d.AllowShadow, []string{"acme-utils"}) {
		t.Errorf("allow-shadow stored as %v", d.AllowShadow)
	}
	if v := versionsOf(t, s, d, "acme-utils"); !slices.Equal(v, []string{"1.0", "99.0"}) {
		t.Errorf("merged versions %v", v)
	}
	// The same filename in both, other bytes: the hosted one is served.
	name := "acme_utils-2.0-py3-none-any.whl"
	own := mustSynth("acme-utils", "2.0")
	uploadRepo(t, s, "hosted", name, own)
	public := uploadRepo(t, s, "mirror", name, withComment(t, own, "other bytes"))
	f, err := s.File(ctx, d, name)
	if err != nil || f.SHA256 == public.SHA256 {
		t.Errorf("filename in both sources: got %+v, %v; want the hosted file", f, err)
	}
	p, _ := s.Project(ctx, d, "acme-utils")
	n := 0
	for _, pf := range p.Files {
		if pf.Filename == name {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%s listed %d times", name, n)
	}

	serial := p.Serial
	_, rootSerial, _ := s.Projects(ctx, d)
	uploadRepo(t, s, "mirror", "acme_utils-100.0-py3-none-any.whl", mustSynth("acme-utils", "100.0"))
	p2, _ := s.Project(ctx, d, "acme-utils")
	_, rootSerial2, _ := s.Projects(ctx, d)
	if p2.Serial <= serial || rootSerial2 <= rootSerial {
		t.Errorf("a change in the later source: project serial %d -> %d, list %d -> %d", serial, p2.Serial, rootSerial, rootSerial2)
	}
	// Removing the earlier source's files changes the page: the serial must still rise.
	if err := s.Remove(ctx, "hosted", "acme-utils", "1.0", ""); err != nil {
		t.Fatal(err)
	}
	p3, _ := s.Project(ctx, d, "acme-utils")
	if p3.Serial <= p2.Serial || slices.Contains(p3.Versions, "1.0") {
		t.Errorf("after removing from the earlier source: serial %d -> %d, versions %v", p2.Serial, p3.Serial, p3.Versions)
	}
	ps, _, _ := s.Projects(ctx, d)
	for _, ps := range ps {
		if ps.Name == "acme-utils" && ps.Serial != p3.Serial {
			t.Errorf("list serial %d, page serial %d", ps.Serial, p3.Serial)
		}
	}
}

// TestMergedViewValidation: the sources' rules.
func TestMergedViewValidation(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	if _, err := s.CreateRepository(ctx, "other", ""); err != nil {
		t.Fatal(err)
	}
	pin := 7
	for name, d := range map[string]index.Distribution{
		"twice":          {Sources: []index.Source{{Repository: "main"}, {Repository: "main"}}},
		"missing repo":   {Sources: []index.Source{{Repository: "main"}, {Repository: "nope"}}},
		"bad pin":        {Sources: []index.Source{{Repository: "main"}, {Repository: "other", Pinned: &pin}}},
		"allow alone":    {Repository: "main", AllowShadow: []string{"x"}},
		"bad allow":      {Sources: []index.Source{{Repository: "main"}, {Repository: "other"}}, AllowShadow: []string{"-x-"}},
		"repo not first": {Repository: "other", Sources: []index.Source{{Repository: "main"}, {Repository: "other"}}},
		"ttl no pull":    {Sources: []index.Source{{Repository: "main"}, {Repository: "other", TTL: 5}}},
	} {
		d.BasePath = "v"
		if _, err := s.CreateDistribution(ctx, d); !errors.Is(err, errs.ErrInvalid) && !errors.Is(err, errs.ErrNotFound) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// One plain source is a plain distribution.
	d, err := s.CreateDistribution(ctx, index.Distribution{BasePath: "one", Sources: []index.Source{{Repository: "other"}}})
	if err != nil || d.Sources != nil || d.Repository != "other" {
		t.Errorf("one source: %+v, %v", d, err)
	}
	// A repository-scoped admin token may not merge in a repository it does not administer.
	tok := &index.Token{Name: "t", Scope: index.ScopeAdmin, Repository: "main"}
	_, err = s.CreateDistributionAs(ctx, tok, index.Distribution{BasePath: "m", Sources: []index.Source{{Repository: "main"}, {Repository: "other"}}})
	if !errors.Is(err, errs.ErrForbidden) {
		t.Errorf("scoped token merging another repository: %v", err)
	}
	// Updating keeps the sources when only the pin of the first changes.
	if _, err := s.CreateDistribution(ctx, index.Distribution{BasePath: "m", Sources: []index.Source{{Repository: "main"}, {Repository: "other"}}}); err != nil {
		t.Fatal(err)
	}
	zero := 0
	d, err = s.UpdateDistribution(ctx, "m", index.Distribution{Pinned: &zero})
	if err != nil || len(d.Sources) != 2 || d.Sources[0].Pinned == nil || *d.Sources[0].Pinned != 0 || d.Sources[1].Repository != "other" {
		t.Errorf("update of the pin: %+v, %v", d, err)
	}
	d, err = s.UpdateDistribution(ctx, "m", index.Distribution{Repository: "other", Sources: []index.Source{}})
	if err != nil || d.Sources != nil || d.Repository != "other" {
		t.Errorf("update to one repository: %+v, %v", d, err)
	}
}

// TestRetainKeepsMergedPins: retention keeps a version that a merged view's later source
// pins, not only the distributions' own pins.
func TestRetainKeepsMergedPins(t *testing.T) {
	ctx := context.Background()
	s, _ := guardSetup(t)
	uploadRepo(t, s, "mirror", "other_pkg-2.0-py3-none-any.whl", mustSynth("other-pkg", "2.0"))
	uploadRepo(t, s, "mirror", "other_pkg-3.0-py3-none-any.whl", mustSynth("other-pkg", "3.0"))
	pin := 2
	d, err := s.CreateDistribution(ctx, index.Distribution{BasePath: "frozen", Sources: []index.Source{{Repository: "hosted"}, {Repository: "mirror", Pinned: &pin}}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.Retain(ctx, "mirror", index.RetainOptions{Keep: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(rep.Kept, 2) || !slices.Equal(rep.Pinned, []int{2}) {
		t.Errorf("retain kept %v (pinned %v); the merged view pins mirror@2", rep.Kept, rep.Pinned)
	}
	if v := versionsOf(t, s, d, "other-pkg"); !slices.Equal(v, []string{"1.0"}) {
		t.Errorf("the pinned view reads %v after retain", v)
	}
}

// TestMergedChangedSince: the changelog a mirror (bandersnatch's XML-RPC) reads of a
// merged view lists each project with the serial its merged page carries, and leaves out
// what a hidden source changed.
func TestMergedChangedSince(t *testing.T) {
	ctx := context.Background()
	s, d := guardSetup(t)
	ch, err := s.ChangedSince(ctx, d, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, c := range ch {
		got[c.Name] = c.Serial
	}
	for _, name := range []string{"acme-utils", "other-pkg"} {
		p, err := s.Project(ctx, d, name)
		if err != nil || got[name] != p.Serial {
			t.Errorf("%s: changelog serial %d, page serial %d (%v)", name, got[name], p.Serial, err)
		}
	}
	_, last, _ := s.Projects(ctx, d)
	uploadRepo(t, s, "mirror", "acme_utils-100.0-py3-none-any.whl", mustSynth("acme-utils", "100.0"))
	uploadRepo(t, s, "mirror", "other_pkg-2.0-py3-none-any.whl", mustSynth("other-pkg", "2.0"))
	ch, _ = s.ChangedSince(ctx, d, last)
	if len(ch) != 1 || ch[0].Name != "other-pkg" {
		t.Errorf("changes since %d: %+v; want other-pkg only (acme-utils changed in the hidden source)", last, ch)
	}
}
