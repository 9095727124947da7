package checks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/names"
)

// Stored is a stored check report with where it came from.
type Stored struct {
	ID         int64
	Repository string
	Filename   string
	Project    string
	TaskID     int64
	Attempt    int
	Verdict    checkreport.Verdict
	CreatedAt  time.Time
	// Report is set by Stored and Report, not by Reports.
	Report *checkreport.Report
	Raw    []RawData
}

// RawData is one piece of raw data of a stored report.
type RawData struct {
	Name   string
	Task   string
	Size   int64
	SHA256 string
}

// storeReport stores rep (its raw data read from dir) as the latest report of the file.
func (s *Service) storeReport(ctx context.Context, a Args, rep *checkreport.Report, dir string, taskID int64, attempt int, logf func(string, ...any)) (int64, error) {
	f, err := s.idx.File(ctx, latest(a.Repository), a.Filename)
	if err != nil {
		return 0, err
	}
	repo, err := s.store.Repository(ctx, a.Repository)
	if err != nil {
		return 0, err
	}
	row := &metastore.CheckReport{RepositoryID: repo.ID, Repository: repo.Name, Filename: a.Filename,
		Project: names.Normalize(f.Project), TaskID: taskID, Attempt: attempt, Verdict: string(rep.Verdict), CreatedAt: s.now()}
	if len(rep.Raw) > MaxRaw {
		logf("raw data: %d pieces, the first %d kept", len(rep.Raw), MaxRaw)
		rep.Raw = rep.Raw[:MaxRaw]
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return 0, fmt.Errorf("the check's folder: %w", err)
	}
	defer root.Close()
	seen := map[string]bool{}
	kept := rep.Raw[:0]
	for _, r := range rep.Raw {
		if r.Name == "" || len(r.Name) > 200 || seen[r.Name] || !filepath.IsLocal(r.Path) {
			logf("raw data %q (%q): no name, a name used twice, or a path outside the check's folder; left out", r.Name, r.Path)
			continue
		}
		seen[r.Name] = true
		sha, size, err := s.putRaw(ctx, root, r.Path)
		if err != nil {
			logf("raw data %s: %v; left out", r.Name, err)
			continue
		}
		if size < r.Size || (r.Size == 0 && size == s.opts.MaxRawBytes) {
			logf("raw data %s cut at %d bytes", r.Name, size)
		}
		r.Size = size
		kept = append(kept, r)
		row.Raw = append(row.Raw, metastore.CheckRaw{Name: r.Name, Task: r.Task, SHA256: sha, Size: size})
	}
	rep.Raw = kept
	if row.Report, err = s.marshal(rep, logf); err != nil {
		return 0, err
	}
	err = s.store.InTx(ctx, func(tx metastore.Tx) error {
		for _, r := range row.Raw { // gc keeps them now that a report references them
			if err := tx.TouchBlob(ctx, r.SHA256, r.Size, s.now()); err != nil {
				return err
			}
		}
		return tx.AddCheckReport(ctx, row)
	})
	if err != nil {
		return 0, fmt.Errorf("storing the report of %s: %w", a.Filename, err)
	}
	s.log.Info("check stored", "repository", a.Repository, "filename", a.Filename, "verdict", rep.Verdict, "report", row.ID)
	return row.ID, nil
}

// putRaw stores the first MaxRawBytes of a regular file below root as a blob: hashed
// first, its blobs row touched (so that gc leaves it alone until the report references
// it), then written. The folder is written by the package under check, so the file is
// opened through root (a symbolic link out of the folder is refused), without blocking
// (a FIFO would hang the read) and read only when it is a regular file.
func (s *Service) putRaw(ctx context.Context, root *os.Root, name string) (string, int64, error) {
	fh, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return "", 0, err
	}
	defer fh.Close()
	if st, err := fh.Stat(); err != nil || !st.Mode().IsRegular() {
		return "", 0, fmt.Errorf("%s is not a regular file", name)
	}
	h := sha256.New()
	size, err := io.Copy(h, io.LimitReader(fh, s.opts.MaxRawBytes))
	if err != nil {
		return "", 0, err
	}
	sha := hex.EncodeToString(h.Sum(nil))
	if err := s.store.InTx(ctx, func(tx metastore.Tx) error { return tx.TouchBlob(ctx, sha, size, s.now()) }); err != nil {
		return "", 0, err
	}
	if _, err := fh.Seek(0, io.SeekStart); err != nil {
		return "", 0, err
	}
	if _, _, err := s.idx.Blobs().PutVerified(ctx, io.LimitReader(fh, size), sha, size); err != nil {
		return "", 0, err
	}
	return sha, size, nil
}

// marshal encodes rep within MaxReportBytes: the step logs go first, then the findings
// past MaxFindings (a finding says so).
func (s *Service) marshal(rep *checkreport.Report, logf func(string, ...any)) ([]byte, error) {
	b, err := json.Marshal(rep)
	if err != nil || int64(len(b)) <= s.opts.MaxReportBytes {
		return b, err
	}
	logf("report of %d bytes: the step logs are left out (the raw data keep what the steps kept)", len(b))
	for i := range rep.Tasks {
		rep.Tasks[i].Log = ""
	}
	if b, err = json.Marshal(rep); err != nil || int64(len(b)) <= s.opts.MaxReportBytes {
		return b, err
	}
	if n := len(rep.Findings); n > MaxFindings {
		rep.Findings = append(rep.Findings[:MaxFindings], checkreport.Finding{Task: "report", Kind: checkreport.Limit,
			Severity: checkreport.Info, Detail: fmt.Sprintf("%d more findings left out (the report is capped)", n-MaxFindings)})
	}
	if b, err = json.Marshal(rep); err != nil || int64(len(b)) <= s.opts.MaxReportBytes {
		return b, err
	}
	return nil, fmt.Errorf("the report is %d bytes, over the cap of %d: %w", len(b), s.opts.MaxReportBytes, errs.ErrTooLarge)
}

func storedOut(c *metastore.CheckReport) (*Stored, error) {
	out := &Stored{ID: c.ID, Repository: c.Repository, Filename: c.Filename, Project: c.Project, TaskID: c.TaskID,
		Attempt: c.Attempt, Verdict: checkreport.Verdict(c.Verdict), CreatedAt: c.CreatedAt}
	if c.Report != nil {
		out.Report = &checkreport.Report{}
		if err := json.Unmarshal(c.Report, out.Report); err != nil {
			return nil, fmt.Errorf("check report %d: %w", c.ID, err)
		}
	}
	for _, r := range c.Raw {
		out.Raw = append(out.Raw, RawData{Name: r.Name, Task: r.Task, Size: r.Size, SHA256: r.SHA256})
	}
	return out, nil
}

// Report returns the latest report of a file; ErrNotFound when it was never checked.
func (s *Service) Report(ctx context.Context, repository, filename string) (*checkreport.Report, error) {
	st, err := s.Latest(ctx, repository, filename)
	if err != nil {
		return nil, err
	}
	return st.Report, nil
}

// Latest returns the latest stored report of a file; ErrNotFound when it was never
// checked (or the repository does not exist).
func (s *Service) Latest(ctx context.Context, repository, filename string) (*Stored, error) {
	repo, err := s.store.Repository(ctx, repository)
	if err != nil {
		return nil, err
	}
	c, err := s.store.LatestCheckReport(ctx, repo.ID, filename)
	if err != nil {
		return nil, fmt.Errorf("file %s of repository %s has no check report: %w", filename, repository, err)
	}
	return storedOut(c)
}

// Stored returns one stored report by ID; ErrNotFound.
func (s *Service) Stored(ctx context.Context, id int64) (*Stored, error) {
	c, err := s.store.CheckReport(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("check report %d: %w", id, err)
	}
	return storedOut(c)
}

// Reports lists the reports of a repository (of one file when filename is not ""),
// newest first, at most limit (metastore.MaxCheckReports), older than beforeID when it is
// not 0; without their report and raw data.
func (s *Service) Reports(ctx context.Context, repository, filename string, limit int, beforeID int64) ([]Stored, error) {
	repo, err := s.store.Repository(ctx, repository)
	if err != nil {
		return nil, err
	}
	rows, err := s.store.CheckReports(ctx, repo.ID, filename, limit, beforeID)
	if err != nil {
		return nil, err
	}
	out := make([]Stored, 0, len(rows))
	for i := range rows {
		st, err := storedOut(&rows[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *st)
	}
	return out, nil
}

// OpenRaw opens the raw data name of report id; ErrNotFound when it has none of that name.
func (s *Service) OpenRaw(ctx context.Context, id int64, name string) (io.ReadSeekCloser, *RawData, error) {
	st, err := s.Stored(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range st.Raw {
		if r.Name == name {
			body, _, err := s.idx.OpenBlob(ctx, r.SHA256)
			if err != nil {
				return nil, nil, err
			}
			return body, &r, nil
		}
	}
	return nil, nil, fmt.Errorf("check report %d has no raw data %q: %w", id, name, errs.ErrNotFound)
}

// Allowed reports whether the distribution base serves filename under the quarantine
// rule (index/quarantine.go): always, unless it requires checks; then only when the
// file's latest verdict is pass.
func (s *Service) Allowed(ctx context.Context, base, filename string) (bool, error) {
	d, err := s.idx.Distribution(ctx, base)
	if err != nil {
		return false, err
	}
	_, err = s.idx.File(ctx, d, filename)
	if errors.Is(err, errs.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
