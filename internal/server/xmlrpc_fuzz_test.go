package server

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pydepot/pydepot/internal/index"
)

// FuzzXMLRPC feeds arbitrary bodies to POST /pypi: it must answer 200 (a result or a
// fault), 400 or 413, never panic or fail with 5xx, and every 200 must be well-formed
// XML.
func FuzzXMLRPC(f *testing.F) {
	for _, s := range []string{
		xmlrpcCallBody("list_packages_with_serial"),
		xmlrpcCallBody("changelog_since_serial", "<int>3</int>"),
		xmlrpcCallBody("changelog_since_serial", "<i4> 99999999999999999999 </i4>"),
		`<?xml version='1.0' encoding='ASCII'?><methodCall><methodName>x</methodName><params/></methodCall>`,
		`<!DOCTYPE m [<!ENTITY a "aaaa">]><methodCall><methodName>&a;</methodName></methodCall>`,
		`<methodCall>` + strings.Repeat("<params>", 200),
	} {
		f.Add([]byte(s))
	}
	h := New(newBenchAPI(3, 2), Config{TempDir: f.TempDir()}, nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/pypi", bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case 200:
			var call xmlrpcResponse
			if err := xml.Unmarshal(rec.Body.Bytes(), &call); err != nil {
				t.Fatalf("200 with malformed XML: %v\n%s", err, rec.Body.String())
			}
		case 400, 413:
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
	})
}

// ChangedSince gives the fuzzed changelog the bench projects above the serial.
func (a *benchAPI) ChangedSince(_ context.Context, _ *index.Distribution, since int64) ([]index.ChangedProject, error) {
	var out []index.ChangedProject
	for _, p := range a.projects {
		if p.Serial > since {
			out = append(out, index.ChangedProject{Name: p.Name, DisplayName: p.DisplayName, Serial: p.Serial})
		}
	}
	return out, nil
}
