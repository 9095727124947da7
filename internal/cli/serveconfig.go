package cli

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/pydepot/pydepot/internal/backends"
	"github.com/pydepot/pydepot/internal/server"
	"github.com/pydepot/pydepot/internal/tasks"
)

// serveConfig is everything `pydepot serve` runs with, in one place. It is loaded from
// the flags and the environment (a flag given explicitly beats its variable, which beats
// the default); a configuration file may come later and would fill the same struct.
// defaultServeConfig holds the defaults, Validate checks a filled one.
type serveConfig struct {
	Listen     string
	AdminToken string
	// DataDir is the absolute data directory when --data (or its default) stands for at
	// least one of the stores; "" when --database and --blobs name both.
	DataDir  string
	Database string // metadata store URL: sqlite:///path/pydepot.db
	Blobs    string // blob store URL: file:///path
	// SpoolDir receives uploads while they are checked: DataDir/tmp, or tmp beside the
	// SQLite database when no data directory is in use.
	SpoolDir string
	// TLSCert and TLSKey are the PEM files of the server's certificate (chain) and its
	// private key: serve speaks HTTPS when both are set, and its own links default to
	// https. Neither: plain HTTP.
	TLSCert, TLSKey string
	// HTTP holds the server's limits and links: MaxUpload, PublicURL, the timeouts and the
	// minimum body rate (TempDir is SpoolDir; Docs and ListenURL are set when serving).
	HTTP server.Config
	// Tasks holds the task queue's settings: Workers (0: this server runs no task) and
	// StaleAfter.
	Tasks tasks.Config
}

// defaultDataDir is the data directory when nothing names one.
const defaultDataDir = "./pydepot-data"

// defaultServeConfig is serveConfig's defaults, those of the flags' help.
func defaultServeConfig() serveConfig {
	return serveConfig{
		Listen: "127.0.0.1:8080",
		Tasks:  tasks.Config{Workers: 4, StaleAfter: tasks.DefaultStaleAfter},
		HTTP: server.Config{
			MaxUpload:     1 << 30,
			HeaderTimeout: server.DefaultHeaderTimeout,
			IdleTimeout:   server.DefaultIdleTimeout,
			WriteTimeout:  server.DefaultWriteTimeout,
			BodyMinBytes:  server.DefaultBodyMinBytes,
			BodyWindow:    server.DefaultBodyWindow,
		},
	}
}

// Validate checks the settings; the error names the flag to fix.
func (c *serveConfig) Validate() error {
	var problems []error
	if c.Listen == "" {
		problems = append(problems, errors.New("--listen: want an address such as 127.0.0.1:8080"))
	}
	_, dbErr := backends.DatabasePath(c.Database)
	if dbErr != nil {
		problems = append(problems, fmt.Errorf("--database: %w", dbErr))
	}
	if _, err := backends.BlobsPath(c.Blobs); err != nil {
		problems = append(problems, fmt.Errorf("--blobs: %w", err))
	}
	if dbErr == nil && (c.SpoolDir == "" || !filepath.IsAbs(c.SpoolDir)) { // else it follows from the database
		problems = append(problems, fmt.Errorf("upload spool directory %q: want an absolute path", c.SpoolDir))
	}
	if c.HTTP.MaxUpload <= 0 {
		problems = append(problems, fmt.Errorf("--max-upload %d: want at least one byte", c.HTTP.MaxUpload))
	}
	if _, err := publicURL(c.HTTP.PublicURL, ""); err != nil {
		problems = append(problems, err)
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"header-timeout", c.HTTP.HeaderTimeout}, {"idle-timeout", c.HTTP.IdleTimeout}, {"write-timeout", c.HTTP.WriteTimeout}, {"min-body-rate", c.HTTP.BodyWindow}} {
		if d.v <= 0 {
			problems = append(problems, fmt.Errorf("--%s: the duration %s must be more than zero", d.flag, d.v))
		}
	}
	if c.Tasks.Workers < 0 || c.Tasks.Workers > 256 {
		problems = append(problems, fmt.Errorf("--workers %d: want 0 to 256", c.Tasks.Workers))
	}
	if c.Tasks.StaleAfter < 3*time.Second {
		problems = append(problems, fmt.Errorf("--task-stale-after %s: want at least 3s (a heartbeat comes every sixth of it)", c.Tasks.StaleAfter))
	}
	if c.HTTP.BodyMinBytes <= 0 {
		problems = append(problems, errors.New("--min-body-rate: the size must be at least one byte"))
	}
	if err := c.checkTLS(); err != nil {
		problems = append(problems, err)
	}
	return errors.Join(problems...)
}

// checkTLS checks --tls-cert and --tls-key: both or neither, readable, and a key that
// matches the certificate.
func (c *serveConfig) checkTLS() error {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key (PYDEPOT_TLS_CERT, PYDEPOT_TLS_KEY): give both or neither")
	}
	if c.TLSCert == "" {
		return nil
	}
	if _, err := c.loadTLS(); err != nil {
		return err
	}
	return nil
}

// loadTLS reads the certificate and key files.
func (c *serveConfig) loadTLS() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert %s, --tls-key %s: %w", c.TLSCert, c.TLSKey, err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

// Warnings are settings that work but should not be used as they are.
func (c *serveConfig) Warnings() []string {
	var out []string
	if c.TLSKey != "" {
		if st, err := os.Stat(c.TLSKey); err == nil && st.Mode().Perm()&0o004 != 0 {
			out = append(out, fmt.Sprintf("--tls-key %s is readable by every user (mode %04o): chmod 600 it", c.TLSKey, st.Mode().Perm()))
		}
	}
	return out
}

// origin is where a setting came from; a later origin wins.
type origin int

const (
	unset origin = iota
	fromEnv
	fromFlag
)

// setting is a value with its origin, for the settings that combine (--data against
// --database and --blobs).
type setting struct {
	value string
	from  origin
}

func (o origin) name(flag, env string) string {
	if o == fromFlag {
		return "--" + flag
	}
	return env
}

// storage works out the data directory, the two store URLs and the upload spool from
// --data, --database and --blobs. --data DIR is short for --database
// sqlite:///DIR/pydepot.db --blobs file:///DIR/blobs; a store named at a stronger origin
// (flag over environment) wins, and naming both forms at one origin is an error, as is
// naming one store without the other and without a data directory.
func storage(data, database, blobs setting) (dataDir, dbURL, blobsURL, spool string, err error) {
	dir := data.value
	if data.from == unset {
		dir = defaultDataDir
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", "", "", "", fmt.Errorf("data directory %s: %w", dir, err)
	}
	defDB, defBlobs := backends.DataURLs(abs)
	usedData := false
	pick := func(part setting, flag, env, def string) (string, error) {
		switch {
		case part.from != unset && part.from == data.from:
			return "", fmt.Errorf("%s and %s are both given: %s DIR is short for --database sqlite:///DIR/pydepot.db --blobs file:///DIR/blobs; give one form or the other",
				data.from.name("data", "PYDEPOT_DATA"), part.from.name(flag, env), data.from.name("data", "PYDEPOT_DATA"))
		case part.from > data.from:
			return part.value, nil
		}
		usedData = true
		return def, nil
	}
	if dbURL, err = pick(database, "database", "PYDEPOT_DATABASE", defDB); err != nil {
		return "", "", "", "", err
	}
	if blobsURL, err = pick(blobs, "blobs", "PYDEPOT_BLOBS", defBlobs); err != nil {
		return "", "", "", "", err
	}
	if data.from == unset && usedData && (database.from != unset || blobs.from != unset) {
		given, missing := "database", "blobs"
		if blobs.from != unset {
			given, missing = "blobs", "database"
		}
		return "", "", "", "", fmt.Errorf("--%s is given but not --%s: give both (or PYDEPOT_%s), or --data DIR for both", given, missing, strings.ToUpper(missing))
	}
	if usedData {
		return abs, dbURL, blobsURL, filepath.Join(abs, "tmp"), nil
	}
	dbPath, err := backends.DatabasePath(dbURL)
	if err != nil {
		// Validate reports it, naming the flag.
		return "", dbURL, blobsURL, "", nil
	}
	return "", dbURL, blobsURL, filepath.Join(filepath.Dir(dbPath), "tmp"), nil
}

// config turns the flags as given into a serveConfig, parsing sizes and durations; the
// caller validates it.
func (fl serveFlags) config() (serveConfig, error) {
	c := defaultServeConfig()
	c.Listen, c.AdminToken = fl.listen, fl.adminToken
	c.TLSCert, c.TLSKey = fl.tlsCert, fl.tlsKey
	var err error
	if c.DataDir, c.Database, c.Blobs, c.SpoolDir, err = storage(fl.data, fl.database, fl.blobs); err != nil {
		return c, err
	}
	limit, err := humanize.ParseBytes(fl.maxUpload)
	if err != nil {
		return c, fmt.Errorf("--max-upload %q: %w", fl.maxUpload, err)
	}
	c.HTTP.MaxUpload = int64(limit)
	if c.HTTP.PublicURL, err = publicURL(fl.publicURL, fl.baseURL); err != nil {
		return c, err
	}
	for _, d := range []struct {
		flag, v string
		to      *time.Duration
	}{{"header-timeout", fl.headerTimeout, &c.HTTP.HeaderTimeout}, {"idle-timeout", fl.idleTimeout, &c.HTTP.IdleTimeout}, {"write-timeout", fl.writeTimeout, &c.HTTP.WriteTimeout}} {
		if *d.to, err = positiveDuration(d.v); err != nil {
			return c, fmt.Errorf("--%s %q: %w", d.flag, d.v, err)
		}
	}
	// "" (not given) keeps the default.
	if fl.workers != "" {
		if c.Tasks.Workers, err = strconv.Atoi(fl.workers); err != nil {
			return c, fmt.Errorf("--workers %q: want a number of tasks, 0 for none", fl.workers)
		}
	}
	if fl.taskStaleAfter != "" {
		if c.Tasks.StaleAfter, err = positiveDuration(fl.taskStaleAfter); err != nil {
			return c, fmt.Errorf("--task-stale-after %q: %w", fl.taskStaleAfter, err)
		}
	}
	size, window, ok := strings.Cut(fl.minBodyRate, "/")
	n, err := humanize.ParseBytes(size)
	if err == nil && n == 0 {
		err = errors.New("the size must be at least one byte")
	}
	if err == nil {
		c.HTTP.BodyWindow, err = positiveDuration(window)
	}
	if !ok || err != nil {
		return c, fmt.Errorf("--min-body-rate %q: want SIZE/DURATION, e.g. %s: %v", fl.minBodyRate, defaultMinBodyRate, err)
	}
	c.HTTP.BodyMinBytes = int64(n)
	return c, nil
}
