package server

import (
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/index"
)

func TestRenderProjectStatus(t *testing.T) {
	files := []index.File{{Filename: "x-1.0.tar.gz", SHA256: strings.Repeat("a", 64), Size: 3}}
	tests := []struct {
		status    string
		wantMeta  string
		wantFiles bool
	}{
		{"", `content="active"`, true},
		{"deprecated", `content="deprecated"`, true},
		{"archived", `content="archived"`, true},
		{"quarantined", `content="quarantined"`, false},
	}
	for _, tc := range tests {
		p := &index.Project{Name: "x", Status: tc.status, Files: files, Versions: []string{"1.0"}}
		html := string(renderProjectHTML(p))
		js, err := renderProjectJSON(p)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(html, `<meta name="pypi:project-status" `+tc.wantMeta+`>`) {
			t.Errorf("%q: HTML %s", tc.status, html)
		}
		wantStatus := strings.TrimSuffix(strings.TrimPrefix(tc.wantMeta, `content=`), "")
		if !strings.Contains(string(js), `"project-status":{"status":`+wantStatus+`}`) {
			t.Errorf("%q: JSON %s", tc.status, js)
		}
		if got := strings.Contains(html, "x-1.0.tar.gz") && strings.Contains(string(js), "x-1.0.tar.gz"); got != tc.wantFiles {
			t.Errorf("%q: files listed = %v\n%s\n%s", tc.status, got, html, js)
		}
	}
}
