// Command pydepot is the whole of pydepot: the index server, its client, and the
// environment tools. The commands live in internal/cli; this file only wires the process.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/pydepot/pydepot/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.OSEnv())
	stop()
	os.Exit(code)
}
