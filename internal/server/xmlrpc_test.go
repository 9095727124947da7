package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/index"
)

func xmlrpcCallBody(method string, params ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><methodCall><methodName>` + method + `</methodName><params>`)
	for _, p := range params {
		b.WriteString("<param><value>" + p + "</value></param>")
	}
	b.WriteString("</params></methodCall>")
	return b.String()
}

// xmlrpcResponse is what the tests read of a methodResponse.
type xmlrpcResponse struct {
	Members []struct {
		Name  string `xml:"name"`
		Value string `xml:"value>int"`
	} `xml:"params>param>value>struct>member"`
	Entries []struct {
		Values []struct {
			String *string `xml:"string"`
			Int    *string `xml:"int"`
		} `xml:"array>data>value"`
	} `xml:"params>param>value>array>data>value"`
	Fault string `xml:"fault>value>struct>member>value>string"`
}

func (e *testEnv) xmlrpc(body string) (int, xmlrpcResponse) {
	e.t.Helper()
	resp := e.request(http.MethodPost, "/pypi", strings.NewReader(body), "Content-Type: text/xml")
	raw := readBody(e.t, resp)
	var out xmlrpcResponse
	if resp.StatusCode == 200 {
		if err := xml.Unmarshal([]byte(raw), &out); err != nil {
			e.t.Fatalf("%v: %s", err, raw)
		}
	}
	return resp.StatusCode, out
}

// simpleSerials reads the project serials of the PEP 691 index.
func (e *testEnv) simpleSerials() map[string]int64 {
	e.t.Helper()
	resp := e.request(http.MethodGet, "/simple/", nil, "Accept: application/vnd.pypi.simple.v1+json")
	var idx struct {
		Projects []struct {
			Name   string `json:"name"`
			Serial int64  `json:"_last-serial"`
		} `json:"projects"`
	}
	if err := json.Unmarshal([]byte(readBody(e.t, resp)), &idx); err != nil {
		e.t.Fatal(err)
	}
	out := map[string]int64{}
	for _, p := range idx.Projects {
		out[p.Name] = p.Serial
	}
	return out
}

// TestXMLRPC: list_packages_with_serial gives the serials the PEP 691 index gives, and
// changelog_since_serial(N) names exactly the projects changed after serial N (what
// bandersnatch's second run asks); other methods get a fault, bad bodies 400 and big
// ones 413, and nothing in the XML (entities, a DTD) is expanded.
func TestXMLRPC(t *testing.T) {
	e := populated(t)
	want := e.simpleSerials()
	// As aiohttp-xmlrpc (lxml) sends it.
	code, list := e.xmlrpc(strings.Replace(xmlrpcCallBody("list_packages_with_serial"), `<?xml version="1.0"?>`, `<?xml version='1.0' encoding='ASCII'?>`, 1))
	got := map[string]int64{}
	for _, m := range list.Members {
		n, _ := strconv.ParseInt(m.Value, 10, 64)
		got[m.Name] = n
	}
	if code != 200 || len(got) != 2 || got["Demo_Pkg"] != want["Demo_Pkg"] || got["other"] != want["other"] {
		t.Fatalf("list_packages_with_serial: %d %v, want %v", code, got, want)
	}
	last := max(want["Demo_Pkg"], want["other"])
	e.mustUpload(wheelName("other", "0.2"), makeWheel(t, "other", "0.2", wheelOpts{}))
	for _, param := range []string{"<int>%d</int>", "<i4>%d</i4>"} {
		code, ch := e.xmlrpc(xmlrpcCallBody("changelog_since_serial", strings.Replace(param, "%d", strconv.FormatInt(last, 10), 1)))
		if code != 200 || len(ch.Entries) != 1 || *ch.Entries[0].Values[0].String != "other" {
			t.Fatalf("changelog_since_serial(%d): %d %+v", last, code, ch)
		}
		if s, _ := strconv.ParseInt(*ch.Entries[0].Values[4].Int, 10, 64); s != e.simpleSerials()["other"] || s <= last {
			t.Errorf("changelog serial %d, want the index's %d", s, e.simpleSerials()["other"])
		}
	}
	if _, ch := e.xmlrpc(xmlrpcCallBody("changelog_since_serial", "<int>0</int>")); len(ch.Entries) != 2 ||
		*ch.Entries[0].Values[0].String != "Demo_Pkg" || *ch.Entries[1].Values[0].String != "other" {
		t.Errorf("changelog_since_serial(0): %+v, want Demo_Pkg then other (oldest first)", ch)
	}
	// A project whose files are all removed is in the changelog as removed.
	now := e.simpleSerials()["other"]
	if err := e.svc.Remove(t.Context(), "main", "Demo_Pkg", "1.0", ""); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Remove(t.Context(), "main", "Demo_Pkg", "2.0", ""); err != nil {
		t.Fatal(err)
	}
	_, ch := e.xmlrpc(xmlrpcCallBody("changelog_since_serial", "<int>"+strconv.FormatInt(now, 10)+"</int>"))
	if len(ch.Entries) != 1 || *ch.Entries[0].Values[0].String != "Demo_Pkg" || *ch.Entries[0].Values[3].String != "remove" {
		t.Errorf("changelog after removing Demo_Pkg: %+v", ch)
	}
	for _, body := range []string{
		xmlrpcCallBody("system.listMethods"),
		xmlrpcCallBody("changelog_since_serial"),
		xmlrpcCallBody("changelog_since_serial", "<string>x</string>"),
		xmlrpcCallBody("changelog_since_serial", "<int>1</int>", "<int>1</int>", "<int>1</int>", "<int>1</int>", "<int>1</int>"),
	} {
		if code, r := e.xmlrpc(body); code != 200 || r.Fault == "" {
			t.Errorf("%s: %d %+v, want a fault", body, code, r)
		}
	}
	laughs := `<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>` +
		`<methodCall><methodName>&b;</methodName></methodCall>`
	for _, tc := range []struct {
		body string
		code int
	}{
		{"not xml", 400},
		{strings.Replace(xmlrpcCallBody("list_packages_with_serial"), `version="1.0"`, `version="1.0" encoding="EBCDIC"`, 1), 400},
		{"<methodCall><methodName>x</methodName>", 400},
		{laughs, 400},
		{xmlrpcCallBody("list_packages_with_serial", "<string>"+strings.Repeat("x", maxXMLRPCBody)+"</string>"), 413},
	} {
		resp := e.request(http.MethodPost, "/pypi", strings.NewReader(tc.body), "Content-Type: text/xml")
		if body := readBody(t, resp); resp.StatusCode != tc.code {
			t.Errorf("%.60s: %d %s, want %d", tc.body, resp.StatusCode, body, tc.code)
		}
	}
}

// TestPyPIJSONFileURL: the JSON API's file URLs (under /packages/, as PyPI's) serve the
// file.
func TestPyPIJSONFileURL(t *testing.T) {
	e := populated(t)
	var out struct {
		URLs []struct {
			URL     string            `json:"url"`
			Digests map[string]string `json:"digests"`
		} `json:"urls"`
	}
	if err := json.Unmarshal([]byte(readBody(t, e.request(http.MethodGet, "/pypi/other/json", nil))), &out); err != nil || len(out.URLs) != 1 {
		t.Fatalf("%v %+v", err, out)
	}
	resp := e.request(http.MethodGet, out.URLs[0].URL, nil)
	body := readBody(t, resp)
	sum := sha256.Sum256([]byte(body))
	if resp.StatusCode != 200 || hex.EncodeToString(sum[:]) != out.URLs[0].Digests["sha256"] {
		t.Fatalf("GET %s: %d, sha256 %x, want %s", out.URLs[0].URL, resp.StatusCode, sum, out.URLs[0].Digests["sha256"])
	}
}

// TestRoutedSegmentsReserved: every first path segment distRoutes routes below a base
// path is a word no base path may use, or a distribution of that name would take over
// the routes of the one above it.
func TestRoutedSegmentsReserved(t *testing.T) {
	for _, seg := range []string{"simple", "files", "packages", "pypi", "project", "legacy"} {
		if index.ValidBasePath("team/" + seg) {
			t.Errorf("base path team/%s is allowed, but distRoutes routes /%s/ below team", seg, seg)
		}
	}
}
