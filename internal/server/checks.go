package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/pydepot/pydepot/internal/checks"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metastore"
	"github.com/pydepot/pydepot/internal/server/wire"
)

// CheckService is the checks domain the API serves (checks.Service).
type CheckService interface {
	// Queue enqueues a check task and returns its ID.
	Queue(ctx context.Context, a checks.Args) (int64, error)
	Reports(ctx context.Context, repository, filename string, limit int, beforeID int64) ([]checks.Stored, error)
	Stored(ctx context.Context, id int64) (*checks.Stored, error)
	OpenRaw(ctx context.Context, id int64, name string) (io.ReadSeekCloser, *checks.RawData, error)
}

// checkRoutes registers /api/checks: starting a check (admin on the repository), and
// reading reports and their raw data (a token that may read the repository).
func (s *server) checkRoutes(mux *http.ServeMux, j func(handler) http.Handler) {
	mux.Handle("POST /api/checks", j(s.startCheck))
	mux.Handle("GET /api/checks", j(s.listChecks))
	mux.Handle("GET /api/checks/{id}", j(s.getCheck))
	mux.Handle("GET /api/checks/{id}/raw/{name}", j(s.checkRaw))
}

var errNoChecks = &httpError{status: http.StatusServiceUnavailable, msg: "checks are off: this server was started without the checks service"}

func (s *server) checkService() (CheckService, error) {
	if s.cfg.Checks == nil {
		return nil, errNoChecks
	}
	return s.cfg.Checks, nil
}

func (s *server) startCheck(w http.ResponseWriter, r *http.Request) error {
	var in wire.CheckRequest
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.authorize(r, index.ActionCheck, in.Repository); err != nil {
		return err
	}
	cs, err := s.checkService()
	if err != nil {
		return err
	}
	id, err := cs.Queue(r.Context(), checks.Args{Repository: in.Repository, Filename: in.Filename, Python: in.Python})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, wire.CheckStarted{Task: id})
}

func (s *server) listChecks(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	repo := v.Get("repository")
	if repo == "" {
		return fmt.Errorf("repository= is required: %w", errs.ErrInvalid)
	}
	if err := s.authorize(r, index.ActionRead, repo); err != nil {
		return err
	}
	cs, err := s.checkService()
	if err != nil {
		return err
	}
	limit, before := 50, int64(0)
	for _, p := range []struct {
		name string
		to   *int64
	}{{"limit", nil}, {"before", &before}} {
		raw := v.Get(p.name)
		if raw == "" {
			continue
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("%s=%q: want a positive number: %w", p.name, raw, errs.ErrInvalid)
		}
		if p.to == nil {
			limit = int(min(n, metastore.MaxCheckReports))
		} else {
			*p.to = n
		}
	}
	list, err := cs.Reports(r.Context(), repo, v.Get("filename"), limit, before)
	if err != nil {
		return err
	}
	out := wire.CheckList{Checks: make([]wire.CheckSummary, len(list))}
	for i := range list {
		out.Checks[i] = wireCheckSummary(&list[i])
	}
	if len(list) == limit {
		out.NextBefore = list[len(list)-1].ID
	}
	return writeJSON(w, http.StatusOK, out)
}

// readableCheck returns report {id} when the request may read its repository: 401
// without a token (before the report is looked up), 404 when it does not exist or the
// token may not read it (its existence is not disclosed).
func (s *server) readableCheck(r *http.Request) (CheckService, *checks.Stored, error) {
	t, err := s.token(r)
	if err != nil {
		return nil, nil, err
	}
	if t == nil {
		return nil, nil, index.Authorize(nil, index.ActionRead, "")
	}
	cs, err := s.checkService()
	if err != nil {
		return nil, nil, err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, nil, fmt.Errorf("check report %q: want its number: %w", r.PathValue("id"), errs.ErrNotFound)
	}
	st, err := cs.Stored(r.Context(), id)
	if err != nil {
		return nil, nil, err
	}
	if !index.Allowed(t, index.ActionRead, st.Repository) {
		return nil, nil, fmt.Errorf("check report %d: %w", id, errs.ErrNotFound)
	}
	return cs, st, nil
}

func (s *server) getCheck(w http.ResponseWriter, r *http.Request) error {
	_, st, err := s.readableCheck(r)
	if err != nil {
		return err
	}
	rep, err := json.Marshal(st.Report)
	if err != nil {
		return err
	}
	out := wire.CheckReport{CheckSummary: wireCheckSummary(st), Report: rep, Raw: []wire.CheckRaw{}}
	for _, raw := range st.Raw {
		out.Raw = append(out.Raw, wire.CheckRaw{Name: raw.Name, Task: raw.Task, Size: raw.Size,
			URL: "/api/checks/" + strconv.FormatInt(st.ID, 10) + "/raw/" + url.PathEscape(raw.Name)})
	}
	return writeJSON(w, http.StatusOK, out)
}

// checkRaw serves raw data as an attachment of no type: it is what a package under
// check wrote or made happen, never a page to render.
func (s *server) checkRaw(w http.ResponseWriter, r *http.Request) error {
	cs, st, err := s.readableCheck(r)
	if err != nil {
		return err
	}
	body, raw, err := cs.OpenRaw(r.Context(), st.ID, r.PathValue("name"))
	if err != nil {
		return err
	}
	defer body.Close()
	h := w.Header()
	h["Content-Type"] = octetStream
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", `attachment; filename="`+url.PathEscape(raw.Name)+`"`)
	http.ServeContent(w, r, "", time.Time{}, body)
	return nil
}

func wireCheckSummary(st *checks.Stored) wire.CheckSummary {
	return wire.CheckSummary{ID: st.ID, Repository: st.Repository, Filename: st.Filename, Project: st.Project,
		Verdict: string(st.Verdict), Task: st.TaskID, Attempt: st.Attempt, CreatedAt: st.CreatedAt}
}

// checkSettings is the index's side of the repositories' check settings (index.Service).
type checkSettings interface {
	SetCheckOnUpload(ctx context.Context, repo string, on bool) (*index.Repository, error)
}

func (s *server) setCheckOnUpload(r *http.Request, repo string, on bool) (*index.Repository, error) {
	cs, ok := s.api.(checkSettings)
	if !ok {
		return nil, fmt.Errorf("this server's index has no check settings: %w", errs.ErrInvalid)
	}
	return cs.SetCheckOnUpload(r.Context(), repo, on)
}

// updateRepository changes a repository's settings (PATCH /api/repositories/{name}).
func (s *server) updateRepository(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := s.authorize(r, index.ActionCheckSettings, name); err != nil {
		return err
	}
	var in wire.RepositoryUpdate
	if err := readJSON(w, r, &in); err != nil {
		return err
	}
	var rp *index.Repository
	var err error
	if in.CheckOnUpload != nil {
		rp, err = s.setCheckOnUpload(r, name, *in.CheckOnUpload)
	} else {
		rp, err = s.api.Repository(r.Context(), name)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, wireRepository(*rp))
}

// cachedProjectPage is s.pages.get for a project page, except under quarantine: the
// files a distribution requiring checks serves change when a check ends, which moves no
// repository version (the cache's key), so its project pages are rendered on each
// request (one query for the project's verdicts, index/quarantine.go).
func (s *server) cachedProjectPage(dr *distRequest, k pageKey, render func() (*page, error)) (*page, error) {
	if dr.d.RequireChecks {
		return render()
	}
	return s.pages.get(k, dr.cacheRepo(), dr.version, render)
}
