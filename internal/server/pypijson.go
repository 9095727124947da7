package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/pydepot/pydepot/internal/filenames"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/metadata"
	"github.com/pydepot/pydepot/internal/names"
	"github.com/pydepot/pydepot/internal/osv"
)

// pypiFile is one file in the PyPI JSON API.
type pypiFile struct {
	CommentText       string            `json:"comment_text"`
	Digests           map[string]string `json:"digests"`
	Downloads         int               `json:"downloads"`
	Filename          string            `json:"filename"`
	HasSig            bool              `json:"has_sig"`
	PackageType       string            `json:"packagetype"`
	PythonVersion     string            `json:"python_version"`
	RequiresPython    *string           `json:"requires_python"`
	Size              int64             `json:"size"`
	UploadTime        string            `json:"upload_time"`
	UploadTimeISO8601 string            `json:"upload_time_iso_8601"`
	URL               string            `json:"url"`
	Yanked            bool              `json:"yanked"`
	YankedReason      *string           `json:"yanked_reason"`
}

// pypiInfo is the "info" object; fields the metadata lacks stay null or empty as on PyPI.
type pypiInfo struct {
	Author                 string            `json:"author"`
	AuthorEmail            string            `json:"author_email"`
	Classifiers            []string          `json:"classifiers"`
	Description            string            `json:"description"`
	DescriptionContentType *string           `json:"description_content_type"`
	DownloadURL            string            `json:"download_url"`
	HomePage               string            `json:"home_page"`
	Keywords               string            `json:"keywords"`
	License                string            `json:"license"`
	LicenseExpression      *string           `json:"license_expression"`
	Maintainer             string            `json:"maintainer"`
	MaintainerEmail        string            `json:"maintainer_email"`
	Name                   string            `json:"name"`
	PackageURL             string            `json:"package_url"`
	Platform               *string           `json:"platform"`
	ProjectURL             string            `json:"project_url"`
	ProjectURLs            map[string]string `json:"project_urls"`
	ReleaseURL             string            `json:"release_url"`
	RequiresDist           []string          `json:"requires_dist"`
	RequiresPython         *string           `json:"requires_python"`
	Summary                string            `json:"summary"`
	Version                string            `json:"version"`
	Yanked                 bool              `json:"yanked"`
	YankedReason           *string           `json:"yanked_reason"`
}

type pypiProject struct {
	Info            pypiInfo              `json:"info"`
	LastSerial      int64                 `json:"last_serial"`
	Releases        map[string][]pypiFile `json:"releases,omitempty"`
	URLs            []pypiFile            `json:"urls"`
	Vulnerabilities []osv.JSON            `json:"vulnerabilities"`
}

func (s *server) pypiProject(w http.ResponseWriter, r *http.Request) error {
	return s.pypiJSON(w, r, false)
}

func (s *server) pypiRelease(w http.ResponseWriter, r *http.Request) error {
	return s.pypiJSON(w, r, true)
}

// pypiJSON answers /pypi/{project}/json and /pypi/{project}/{version}/json.
func (s *server) pypiJSON(w http.ResponseWriter, r *http.Request, perVersion bool) error {
	dr := distOf(r)
	name := r.PathValue("project")
	if norm := names.Normalize(name); norm != name {
		rest := "/json"
		if perVersion {
			rest = "/" + url.PathEscape(r.PathValue("version")) + "/json"
		}
		return redirectNormalized(w, r, dr.prefix+"/pypi/"+url.PathEscape(norm)+rest)
	}
	if err := s.freshen(r, dr, name); err != nil {
		return err
	}
	p, err := s.api.Project(r.Context(), dr.served(), name)
	if err != nil {
		return err
	}
	version := ""
	if perVersion {
		version, err = p.FindVersion(r.PathValue("version"))
		if err != nil {
			return err
		}
	} else {
		version = p.Latest()
	}
	base := s.linkBase() + dr.prefix
	vulns, err := s.vulnerabilities(r.Context(), p.Name, version)
	if err != nil {
		return err
	}
	out := pypiProject{LastSerial: p.Serial, URLs: []pypiFile{}, Vulnerabilities: vulns}
	if !perVersion {
		out.Releases = map[string][]pypiFile{}
		for _, v := range p.Versions {
			out.Releases[v] = []pypiFile{}
		}
	}
	for i := range p.Files {
		f := &p.Files[i]
		pf := toPyPIFile(f, base)
		if !perVersion {
			out.Releases[f.Version] = append(out.Releases[f.Version], pf)
		}
		if f.Version == version {
			out.URLs = append(out.URLs, pf)
		}
	}
	out.Info = s.pypiInfo(r, p, version, p.Release(version).Described, base)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-PyPI-Last-Serial", fmt.Sprint(p.Serial))
	revalidate(w, dr)
	enc := json.NewEncoder(w)
	return enc.Encode(out)
}

func toPyPIFile(f *index.File, base string) pypiFile {
	pf := pypiFile{
		Digests:           map[string]string{"sha256": f.SHA256},
		Filename:          f.Filename,
		PackageType:       string(f.Kind),
		PythonVersion:     pythonTag(f),
		Size:              f.Size,
		UploadTime:        f.UploadTime.UTC().Format("2006-01-02T15:04:05"),
		UploadTimeISO8601: isoTime(f.UploadTime),
		// Under /packages/ as on PyPI (files.pythonhosted.org/packages/...): mirrors that
		// copy the JSON API, bandersnatch among them, keep a file's URL path as its place
		// and refuse paths outside /packages/.
		URL:    base + "/packages/" + f.SHA256 + "/" + url.PathEscape(f.Filename),
		Yanked: f.Yanked,
	}
	if f.RequiresPython != "" {
		rp := f.RequiresPython
		pf.RequiresPython = &rp
	}
	if f.Yanked {
		reason := f.YankReason
		pf.YankedReason = &reason
	}
	return pf
}

// pythonTag is PyPI's python_version: the wheel's python tag, or "source".
func pythonTag(f *index.File) string {
	if !strings.HasSuffix(f.Filename, ".whl") {
		return "source"
	}
	parts, _ := filenames.SplitWheel(f.Filename)
	return parts.Python
}

// pypiInfo fills "info" from the core metadata of one file of the version.
func (s *server) pypiInfo(r *http.Request, p *index.Project, version string, f *index.File, base string) pypiInfo {
	info := pypiInfo{
		Name:        displayName(p.DisplayName, p.Name),
		Version:     version,
		Classifiers: []string{},
		ProjectURLs: map[string]string{},
		PackageURL:  base + "/project/" + p.Name + "/",
		ProjectURL:  base + "/project/" + p.Name + "/",
		ReleaseURL:  base + "/project/" + p.Name + "/" + version + "/",
	}
	if f == nil {
		return info
	}
	info.Summary = f.Summary
	if f.RequiresPython != "" {
		rp := f.RequiresPython
		info.RequiresPython = &rp
	}
	info.Yanked = f.Yanked
	if f.Yanked {
		reason := f.YankReason
		info.YankedReason = &reason
	}
	if f.MetadataSHA256 == "" {
		return info
	}
	m, err := s.readMetadata(r, f.MetadataSHA256)
	if err != nil {
		s.log.Warn("read core metadata", "file", f.Filename, "err", err)
		return info
	}
	info.Author, info.AuthorEmail = m.Author, m.AuthorEmail
	info.Maintainer, info.MaintainerEmail = m.Maintainer, m.MaintainerEmail
	info.Description, info.Keywords, info.License = m.Description, m.Keywords, m.License
	info.HomePage, info.DownloadURL = m.HomePage, m.DownloadURL
	if m.DescriptionContentType != "" {
		info.DescriptionContentType = &m.DescriptionContentType
	}
	if m.LicenseExpression != "" {
		info.LicenseExpression = &m.LicenseExpression
	}
	if m.Summary != "" {
		info.Summary = m.Summary
	}
	if len(m.Classifiers) > 0 {
		info.Classifiers = m.Classifiers
	}
	info.RequiresDist = m.RequiresDist
	for _, pu := range m.ProjectURLs {
		label, u, ok := strings.Cut(pu, ",")
		if ok {
			info.ProjectURLs[strings.TrimSpace(label)] = strings.TrimSpace(u)
		}
	}
	return info
}

// readMetadata returns a file's core metadata as the index parsed it at upload.
func (s *server) readMetadata(r *http.Request, sha string) (*metadata.Metadata, error) {
	return s.api.CoreMetadata(r.Context(), sha)
}
