package mirror

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/index"
	"github.com/pydepot/pydepot/internal/requirements"
	"github.com/pydepot/pydepot/internal/tags"
)

// Policy says when a synced file's bytes are fetched.
type Policy string

const (
	// PolicyImmediate downloads every selected file during the sync.
	PolicyImmediate Policy = "immediate"
	// PolicyOnDemand records files and metadata during the sync and fetches a file the
	// first time a client asks for it, then keeps it.
	PolicyOnDemand Policy = "on_demand"
	// PolicyStreamed is on_demand without keeping the bytes: a pure proxy.
	PolicyStreamed Policy = "streamed"
)

// Package types a remote may select.
const (
	TypeWheel = "wheel"
	TypeSdist = "sdist"
)

// Limits on a remote's settings: each is far above any real use and keeps a remote row
// and the work of its filters bounded.
const (
	MaxRequirements = 1000 // includes, and excludes
	MaxPlatforms    = 32
	MaxPythons      = 16
	MaxKeepLatest   = 100_000
	MaxCACertSize   = 1 << 20
	MaxSecretLength = 4096
)

// Remote is an upstream index and what to take from it.
type Remote struct {
	Name string
	URL  string // the simple root, such as https://pypi.org/simple/
	// Includes and Excludes are requirements.txt lines (Django>=4,<5); no include means
	// the whole index.
	Includes, Excludes []string
	Prereleases        bool
	PackageTypes       []string // TypeWheel, TypeSdist; empty means both
	Platforms          []string // wheel platform tags; empty means any
	Pythons            []string // "3.11"; empty means any
	KeepLatest         int      // releases kept per project, newest first; 0 means all
	Policy             Policy
	WithDependencies   bool

	Username, Password string // HTTP Basic; Password is a secret
	Token              string // sent as __token__:<Token>; a secret
	Proxy              string // http://, https:// or socks5:// proxy URL
	CACert             string // PEM bundle trusted for the remote's TLS
	Insecure           bool   // skip TLS verification

	CreatedAt, UpdatedAt time.Time
}

// config is what the store keeps as the remote's JSON config.
type config struct {
	Includes         []string `json:"includes,omitempty"`
	Excludes         []string `json:"excludes,omitempty"`
	Prereleases      bool     `json:"prereleases,omitempty"`
	PackageTypes     []string `json:"package_types,omitempty"`
	Platforms        []string `json:"platforms,omitempty"`
	Pythons          []string `json:"pythons,omitempty"`
	KeepLatest       int      `json:"keep_latest,omitempty"`
	Policy           Policy   `json:"policy"`
	WithDependencies bool     `json:"with_dependencies,omitempty"`
	Proxy            string   `json:"proxy,omitempty"`
	CACert           string   `json:"ca_cert,omitempty"`
	Insecure         bool     `json:"insecure,omitempty"`
}

func (r *Remote) config() ([]byte, error) {
	return json.Marshal(config{r.Includes, r.Excludes, r.Prereleases, r.PackageTypes, r.Platforms, r.Pythons,
		r.KeepLatest, r.Policy, r.WithDependencies, r.Proxy, r.CACert, r.Insecure})
}

func (r *Remote) setConfig(data []byte) error {
	var c config
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("remote %s: stored config: %w", r.Name, err)
	}
	r.Includes, r.Excludes, r.Prereleases, r.PackageTypes = c.Includes, c.Excludes, c.Prereleases, c.PackageTypes
	r.Platforms, r.Pythons, r.KeepLatest, r.Policy = c.Platforms, c.Pythons, c.KeepLatest, c.Policy
	r.WithDependencies, r.Proxy, r.CACert, r.Insecure = c.WithDependencies, c.Proxy, c.CACert, c.Insecure
	return nil
}

// selection is a digest of what r selects (its URL and filters, not its credentials or
// transport): sync state recorded under another selection is not trusted.
func (r *Remote) selection() string {
	b, _ := json.Marshal([]any{r.URL, r.Includes, r.Excludes, r.Prereleases, r.PackageTypes, r.Platforms, r.Pythons,
		r.KeepLatest, r.Policy, r.WithDependencies})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// Redacted returns r without its secrets (Password and Token emptied), as the API
// shows a remote.
func (r Remote) Redacted() Remote {
	r.Password, r.Token = "", ""
	return r
}

func invalid(format string, a ...any) error {
	return fmt.Errorf(format+": %w", append(a, errs.ErrInvalid)...)
}

// Validate checks every setting and puts r in canonical form (the URL ends in '/', the
// lists are deduplicated, the policy defaults to immediate). Errors wrap
// errs.ErrInvalid and name the setting.
func (r *Remote) Validate() error {
	if !index.ValidRepositoryName(r.Name) {
		return invalid("remote name %q: use 1 to 64 lower-case letters, digits, '.', '_' and '-', starting and ending with a letter or digit", r.Name)
	}
	if err := r.validateURL(); err != nil {
		return err
	}
	var err error
	if r.Includes, err = checkRequirements("--include", r.Includes); err != nil {
		return err
	}
	if r.Excludes, err = checkRequirements("--exclude", r.Excludes); err != nil {
		return err
	}
	if err := r.validateSelection(); err != nil {
		return err
	}
	return r.validateTransport()
}

func (r *Remote) validateURL() error {
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid("remote URL %q: want the http:// or https:// URL of an index's simple root, such as https://pypi.org/simple/", redactURL(r.URL))
	}
	if u.User != nil {
		return invalid("remote URL %s: give credentials with --username/--password or --token, not in the URL", redactURL(r.URL))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return invalid("remote URL %s: no query or fragment, only the simple root", r.URL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	r.URL = u.String()
	return nil
}

func (r *Remote) validateSelection() error {
	types := map[string]bool{}
	for _, t := range r.PackageTypes {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		if t != TypeWheel && t != TypeSdist {
			return invalid("package type %q: use wheel, sdist, or both (wheel,sdist)", t)
		}
		types[t] = true
	}
	r.PackageTypes = nil
	for _, t := range []string{TypeWheel, TypeSdist} {
		if types[t] {
			r.PackageTypes = append(r.PackageTypes, t)
		}
	}
	if len(r.Platforms) > MaxPlatforms {
		return invalid("%d platforms, at most %d", len(r.Platforms), MaxPlatforms)
	}
	r.Platforms = dedupe(r.Platforms, strings.ToLower)
	for _, p := range r.Platforms {
		if p == "any" {
			return invalid("platform \"any\": pure wheels are always kept; give platform tags such as manylinux_2_17_x86_64, macosx_11_0_arm64, win_amd64")
		}
		if _, err := (tags.Target{}).WithPlatform(p); err != nil {
			return fmt.Errorf("--platform: %w", err)
		}
	}
	if len(r.Pythons) > MaxPythons {
		return invalid("%d Python versions, at most %d", len(r.Pythons), MaxPythons)
	}
	r.Pythons = dedupe(r.Pythons, strings.TrimSpace)
	for _, py := range r.Pythons {
		if _, _, ok := parsePython(py); !ok {
			return invalid("Python version %q: give MAJOR.MINOR, such as 3.12", py)
		}
	}
	if r.KeepLatest < 0 || r.KeepLatest > MaxKeepLatest {
		return invalid("--keep-latest %d: give 0 (every release) to %d", r.KeepLatest, MaxKeepLatest)
	}
	switch r.Policy {
	case "":
		r.Policy = PolicyImmediate
	case PolicyImmediate, PolicyOnDemand, PolicyStreamed:
	default:
		return invalid("policy %q: use immediate, on_demand or streamed", r.Policy)
	}
	if r.WithDependencies && len(r.Includes) == 0 {
		return invalid("--with-dependencies needs --include: without includes the remote mirrors every project already")
	}
	return nil
}

func (r *Remote) validateTransport() error {
	if r.Password != "" && r.Username == "" {
		return invalid("--password needs --username")
	}
	if r.Token != "" && r.Username != "" {
		return invalid("give --username/--password or --token, not both")
	}
	if len(r.Password) > MaxSecretLength || len(r.Token) > MaxSecretLength || len(r.Username) > MaxSecretLength {
		return invalid("credentials over %d bytes", MaxSecretLength)
	}
	if strings.ContainsAny(r.Username, ":\r\n") {
		return invalid("--username may not contain ':' or a line break")
	}
	if r.Proxy != "" {
		u, err := url.Parse(r.Proxy)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") || u.Host == "" {
			return invalid("--proxy %q: want an http://, https:// or socks5:// URL with a host", redactURL(r.Proxy))
		}
	}
	if r.CACert != "" {
		if r.Insecure {
			return invalid("give --ca-cert or --insecure, not both")
		}
		if len(r.CACert) > MaxCACertSize {
			return invalid("--ca-cert: %d bytes, at most %d", len(r.CACert), MaxCACertSize)
		}
		if !x509.NewCertPool().AppendCertsFromPEM([]byte(r.CACert)) {
			return invalid("--ca-cert: no PEM certificate in it")
		}
	}
	return nil
}

// checkRequirements parses requirements.txt lines, refusing what a filter cannot mean
// (URLs, markers), and drops duplicates.
func checkRequirements(flag string, reqs []string) ([]string, error) {
	if len(reqs) > MaxRequirements {
		return nil, invalid("%d %s requirements, at most %d", len(reqs), flag, MaxRequirements)
	}
	var out []string
	for _, s := range reqs {
		if s = strings.TrimSpace(s); s == "" {
			continue // "--include ''" clears the list
		}
		req, err := requirements.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", flag, s, err)
		}
		if req.URL != "" {
			return nil, invalid("%s %q: a URL requirement names no versions of an index", flag, s)
		}
		if !req.Marker.IsZero() {
			return nil, invalid("%s %q: markers have no meaning here; choose with --python and --platform", flag, s)
		}
		if !slices.Contains(out, req.String()) {
			out = append(out, req.String())
		}
	}
	return out, nil
}

func dedupe(xs []string, norm func(string) string) []string {
	var out []string
	for _, x := range xs {
		if x = norm(x); x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// parsePython parses "3.12".
func parsePython(s string) (int, int, bool) {
	a, b, ok := strings.Cut(s, ".")
	major, err1 := strconv.Atoi(a)
	minor, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || major < 2 || major > 3 || minor < 0 || minor > 99 || strings.HasPrefix(b, "+") {
		return 0, 0, false
	}
	return major, minor, true
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
}
