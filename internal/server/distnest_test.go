package server

import (
	"net/http"
	"path"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/index"
)

// TestDistributionCannotShadowAnother is issue 6's attack: the admin of one repository
// created distributions secret/files, secret/pypi and secret/legacy, which took over those
// URLs of another repository's private distribution "secret".
func TestDistributionCannotShadowAnother(t *testing.T) {
	e := newEnv(t, Config{})
	ctx := t.Context()
	for _, r := range []string{"secret", "team"} {
		if _, err := e.svc.CreateRepository(ctx, r, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.CreateDistribution(ctx, index.Distribution{BasePath: "secret", Repository: "secret"}); err != nil {
		t.Fatal(err)
	}
	teamAdmin, _, _ := e.svc.CreateToken(ctx, "team-admin", index.ScopeAdmin, "team")
	secretReader, _, _ := e.svc.CreateToken(ctx, "secret-reader", index.ScopeRead, "secret")
	wheel := makeWheel(t, "hidden", "1.0", wheelOpts{})
	if code, body := e.upload("/secret/legacy/", adminSecret, form{filename: wheelName("hidden", "1.0"), content: wheel}); code != http.StatusOK {
		t.Fatalf("upload: %d %s", code, body)
	}
	for base, want := range map[string]int{
		"secret/files":  http.StatusBadRequest,
		"secret/pypi":   http.StatusBadRequest,
		"secret/legacy": http.StatusBadRequest,
		"secret/simple": http.StatusBadRequest,
		"secret/team":   http.StatusForbidden,
		"team/x":        http.StatusCreated,
	} {
		resp := e.request("POST", "/api/distributions", strings.NewReader(`{"base_path":"`+base+`","repository":"team","public":true}`),
			basic(teamAdmin), "Content-Type: application/json")
		if body := readBody(t, resp); resp.StatusCode != want {
			t.Errorf("create %s: %d %s, want %d", base, resp.StatusCode, body, want)
		} else if want == http.StatusBadRequest && !strings.Contains(body, "reserved") {
			t.Errorf("create %s: %s does not say reserved", base, body)
		}
	}
	// secret's pages and files still answer through secret.
	resp := e.request("GET", "/secret/simple/hidden/", nil, basic(secretReader))
	body := readBody(t, resp)
	if resp.StatusCode != 200 || !strings.Contains(body, "hidden-1.0") {
		t.Fatalf("secret's simple page: %d %s", resp.StatusCode, body)
	}
	i := strings.Index(body, `<a href="`) // the first file link (the stylesheet's href comes before)
	href := body[i+len(`<a href="`):]
	href = href[:strings.IndexAny(href, `"#`)]
	if !strings.HasPrefix(href, "/") {
		href = path.Clean("/secret/simple/hidden/" + href)
	}
	if resp := e.request("GET", href, nil, basic(secretReader)); resp.StatusCode != 200 {
		t.Errorf("GET %s: %d %s", href, resp.StatusCode, readBody(t, resp))
	}
}
