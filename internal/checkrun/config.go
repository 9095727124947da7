package checkrun

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/pydepot/pydepot/internal/checkreport"
	"github.com/pydepot/pydepot/internal/interpreters"
	"github.com/pydepot/pydepot/internal/resolver"
	"github.com/pydepot/pydepot/internal/simpleindex"
)

// Source is where a repository's wheelhouse comes from: the candidates and how to
// download one of their files into a folder (returning the path of the verified file).
type Source struct {
	Provider resolver.Provider
	Fetch    func(ctx context.Context, f resolver.File, dir string) (string, error)
}

// IndexSource is the Source of a simple index: candidates through
// resolver.IndexProvider, files through simpleindex.Client.Fetch (size and digest
// checked).
func IndexSource(c *simpleindex.Client, log *slog.Logger) Source {
	return Source{
		Provider: resolver.NewIndexProvider(c, log),
		Fetch: func(ctx context.Context, f resolver.File, dir string) (string, error) {
			sf, ok := f.Ref.(simpleindex.File)
			if !ok {
				sf = simpleindex.File{Filename: f.Filename, URL: f.URL, Size: f.Size, Hashes: map[string]string{}}
				if f.SHA256 != "" {
					sf.Hashes["sha256"] = f.SHA256
				}
			}
			return c.Fetch(ctx, sf, dir)
		},
	}
}

// Mount is a host path seen at Path inside the sandbox.
type Mount struct{ Host, Path string }

// Limits bound one sandboxed command (internal/sandbox's Limits).
type Limits struct {
	Time        time.Duration
	MemoryBytes int64
	Processes   int
	OutputBytes int64
	FileBytes   int64
}

// Command is one sandboxed command: what internal/sandbox's Spec holds, with no
// network, ever.
type Command struct {
	Args     []string
	Dir      string
	Env      []string
	ReadOnly []Mount
	Writable []Mount
	Limits   Limits
	Stdout   io.Writer
	Stderr   io.Writer
}

// Outcome is how a sandboxed command ended. Limit names the limit that stopped it ("").
type Outcome struct {
	ExitCode      int
	Signal        string
	Limit         string
	Duration      time.Duration
	OutputDropped int64
}

// Exec runs a command in the sandbox; the error is for a sandbox that could not start.
type Exec func(ctx context.Context, c Command) (*Outcome, error)

// TracePolicy says what a traced step may do (internal/tracereport's Policy).
type TracePolicy struct {
	Allowed []string // path prefixes writes may go to
	Temp    []string // private scratch folders (the sandbox's /tmp)
	Prefix  string   // the install prefix ("" outside the install step)
	Home    string
	Dir     string   // the working folder the command started in
	Exec    []string // expected executables
	Decoys  []string // planted decoy files
	Secrets []string // planted decoy values
}

// Config configures a Pipeline. Exec and Source are required; the other functions
// default as their comments say.
type Config struct {
	// Interpreter finds the interpreter of a version ("3.11"; "" for the default);
	// default interpreters.Find.
	Interpreter func(ctx context.Context, version string) (*interpreters.Interpreter, error)
	// Python is the version used when Input.Python is "".
	Python string
	// Source gives the wheelhouse source of a repository.
	Source func(ctx context.Context, repository string) (Source, error)
	// Exec runs sandboxed commands.
	Exec Exec
	// Trace returns the command that traces into outFile (a path inside the sandbox),
	// put in front of every sandboxed command; nil runs untraced.
	Trace func(outFile string) []string
	// TraceFindings reads a trace file (a host path) of the named step; nil leaves
	// trace-report out.
	TraceFindings func(ctx context.Context, task string, p TracePolicy, traceFile string) ([]checkreport.Finding, error)
	// Decoys returns the decoy files (inside path -> content, under home) and variables
	// to plant; nil plants none.
	Decoys func(home string) (files, env map[string]string)
	// DecoySecrets returns every secret value the decoys hold (for the trace report);
	// nil takes the values of the decoy variables.
	DecoySecrets func(home string) []string
	// Scan and Lint look at the unpacked file; Vulns at its file name (project and
	// version; osv.Service.FileFindings). A nil function leaves its step out.
	Scan  func(ctx context.Context, root string) ([]checkreport.Finding, error)
	Lint  func(ctx context.Context, root string) ([]checkreport.Finding, error)
	Vulns func(ctx context.Context, filename string) ([]checkreport.Finding, error)
	// Limits bound every sandboxed command; zero fields take DefaultLimits' values.
	Limits Limits
	// Parallel bounds the steps run at once; default 2.
	Parallel int
	// Timeout bounds the whole check; default 30 minutes.
	Timeout time.Duration
	// MaxFileSize caps the checked file; default 512 MiB.
	MaxFileSize int64
	// LogLimit bounds each step's log in the report; default 64 KiB.
	LogLimit int
	Logger   *slog.Logger
}

// DefaultLimits are the limits of a sandboxed command unless Config.Limits says otherwise.
func DefaultLimits() Limits {
	return Limits{Time: 10 * time.Minute, MemoryBytes: 4 << 30, Processes: 256, OutputBytes: 4 << 20, FileBytes: 1 << 30}
}

func (c *Config) defaults() {
	if c.Interpreter == nil {
		c.Interpreter = func(ctx context.Context, v string) (*interpreters.Interpreter, error) {
			return interpreters.Find(ctx, v, interpreters.Options{})
		}
	}
	d := DefaultLimits()
	if c.Limits.Time <= 0 {
		c.Limits.Time = d.Time
	}
	if c.Limits.MemoryBytes <= 0 {
		c.Limits.MemoryBytes = d.MemoryBytes
	}
	if c.Limits.Processes <= 0 {
		c.Limits.Processes = d.Processes
	}
	if c.Limits.OutputBytes <= 0 {
		c.Limits.OutputBytes = d.OutputBytes
	}
	if c.Limits.FileBytes <= 0 {
		c.Limits.FileBytes = d.FileBytes
	}
	if c.Parallel <= 0 {
		c.Parallel = 2
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Minute
	}
	if c.MaxFileSize <= 0 {
		c.MaxFileSize = 512 << 20
	}
	if c.LogLimit <= 0 {
		c.LogLimit = 64 << 10
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}
