// Package markdown renders pydepot's help topics to HTML with goldmark (GitHub-flavoured:
// tables, strikethrough, autolinks) and points links between topics ([x](other.md)) at
// /doc/other. It runs at `go generate` time and in tests, not in the pydepot binary: keeping
// goldmark's package initialisation out of the binary saves about 7 ms on every start,
// which `pydepot run` pays on each task of a cluster.
package markdown

import (
	"bytes"
	"fmt"
	"regexp"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

var mdLink = regexp.MustCompile(`href="([a-z0-9_-]+)\.md(#[^"]*)?"`)

// Render converts one topic's markdown to an HTML fragment.
func Render(body []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert(body, &buf); err != nil {
		return nil, fmt.Errorf("render markdown: %w", err)
	}
	return mdLink.ReplaceAll(buf.Bytes(), []byte(`href="/doc/$1$2"`)), nil
}
