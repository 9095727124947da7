// Command gen renders every help topic in internal/docs/topics to internal/docs/rendered,
// the HTML the server embeds. Run it through `go generate ./internal/docs` after editing a
// topic; a test fails while the two disagree.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pydepot/pydepot/internal/docs/markdown"
)

func main() {
	if err := run("topics", "rendered"); err != nil {
		fmt.Fprintln(os.Stderr, "docs/gen:", err)
		os.Exit(1)
	}
}

func run(src, dst string) error {
	old, _ := filepath.Glob(filepath.Join(dst, "*.html"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	topics, err := filepath.Glob(filepath.Join(src, "*.md"))
	if err != nil {
		return err
	}
	for _, t := range topics {
		body, err := os.ReadFile(t)
		if err != nil {
			return err
		}
		html, err := markdown.Render(body)
		if err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
		out := filepath.Join(dst, strings.TrimSuffix(filepath.Base(t), ".md")+".html")
		if err := os.WriteFile(out, html, 0o644); err != nil {
			return err
		}
	}
	return nil
}
