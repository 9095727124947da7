// Package cli holds pydepot's cobra commands. Commands parse flags and call the domain
// packages; each stays about a screenful.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pydepot/pydepot/internal/buildinfo"
	"github.com/pydepot/pydepot/internal/errs"
	"github.com/pydepot/pydepot/internal/httpclient"
)

// Env is the process environment a command sees; tests build their own.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// HTTP is the client of the commands that talk to a pydepot server; nil means one made
	// by NewHTTPClient for each command.
	HTTP *http.Client
}

// OSEnv returns the real process environment.
func OSEnv() Env {
	return Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, HTTP: NewHTTPClient(DefaultResponseTimeout)}
}

// DefaultResponseTimeout bounds the wait for a server's answer once a request is sent.
const DefaultResponseTimeout = httpclient.DefaultResponseTimeout

// NewHTTPClient returns the HTTP client of the CLI (see httpclient.New).
func NewHTTPClient(responseTimeout time.Duration) *http.Client {
	return httpclient.New(responseTimeout)
}

// Logger returns a text logger on Stderr; PYDEPOT_LOG_LEVEL=debug turns on debug logs.
func (e Env) Logger() *slog.Logger {
	level := slog.LevelInfo
	if e.Getenv("PYDEPOT_LOG_LEVEL") == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: level}))
}

// ExitError carries a specific exit status out of a command (pydepot run uses 1-4 and the
// child's own status).
type ExitError struct {
	Code int
	Err  error // printed as "pydepot: <err>" when not nil
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// NewRoot builds the command tree.
func NewRoot(env Env) *cobra.Command {
	root := &cobra.Command{
		Use:           "pydepot",
		Short:         "Python package index, environment builder and package checker",
		Long:          "pydepot hosts and mirrors Python packages, packs relocatable environments from scripts,\nand checks uploaded packages in a sandbox. Run 'pydepot help list' for the guides.",
		Version:       buildinfo.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetHelpCommand(newHelpCmd(env))
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.AddCommand(
		newServeCmd(env),
		newRepoCmd(env),
		newDistributionCmd(env),
		newUploadCmd(env),
		newYankCmd(env),
		newUnyankCmd(env),
		newRemoveCmd(env),
		newProjectCmd(env),
		newTokenCmd(env),
		newTaskCmd(env),
		newAnalyzeCmd(env),
		newCreateCmd(env),
		newRunCmd(env),
		newGCCmd(env),
		newRemoteCmd(env),
		newSyncCmd(env),
		newCheckCmd(env),
		newOSVCmd(env),
		newVersionCmd(env),
	)
	// The completion command is made here rather than at Execute so that the loop below
	// covers it too.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		strictGroups(c)
	}
	return root
}

// strictGroups makes every command group under c (a command with subcommands and no action
// of its own) refuse an unknown subcommand as the root does, with cobra's suggestions,
// instead of printing its help and exiting 0; with no argument it still prints its help.
func strictGroups(c *cobra.Command) {
	if c.HasSubCommands() && !c.Runnable() {
		c.Args = unknownSubcommand
		c.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
		// "distribution repoint prod --repository x": the typo, not the flag the group
		// lacks, is the problem to report.
		c.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
			if args := cmd.Flags().Args(); len(args) > 0 {
				return unknownSubcommand(cmd, args)
			}
			return err
		})
	}
	for _, sub := range c.Commands() {
		strictGroups(sub)
	}
}

// unknownSubcommand refuses any argument of a command group, naming the closest
// subcommands.
func unknownSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default, set lazily by its own check
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
	}
	return fmt.Errorf("%s\n\nRun '%s --help' for usage", msg, cmd.CommandPath())
}

// Main runs the command line and returns the process exit status.
func Main(ctx context.Context, args []string, env Env) int {
	root := NewRoot(env)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			printError(env, ee.Err)
		}
		return ee.Code
	}
	printError(env, err)
	return 1
}

// printError prints err for a person: without the trailing error category that wrapping
// appends (": invalid"), which says nothing the message does not.
func printError(env Env, err error) {
	fmt.Fprintf(env.Stderr, "pydepot: %s\n", errs.Message(err))
}
