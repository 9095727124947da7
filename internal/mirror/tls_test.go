package mirror_test

import (
	"context"
	"encoding/pem"
	"io"
	"log"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/pydepot/pydepot/internal/mirror"
	"github.com/pydepot/pydepot/internal/simpleindex/indextest"
)

// TestSyncTLS: an upstream behind TLS with its own CA is synced with the remote's
// --ca-cert, or with --insecure, and refused with neither.
func TestSyncTLS(t *testing.T) {
	up := indextest.New(t, writeAll(t, dist{name: "alpha", version: "1.0"}), indextest.Options{})
	target, _ := url.Parse(up.URL)
	tlsSrv := httptest.NewUnstartedServer(httputil.NewSingleHostReverseProxy(target))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is the point
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw}))
	for _, tc := range []struct {
		name   string
		remote mirror.Remote
		ok     bool
	}{
		{"ca-cert", mirror.Remote{CACert: caPEM}, true},
		{"insecure", mirror.Remote{Insecure: true}, true},
		{"neither", mirror.Remote{}, false},
	} {
		s := newSink(t, mirror.Options{})
		r := tc.remote
		r.Name, r.URL, r.Includes = "up", tlsSrv.URL+"/simple/", []string{"alpha"}
		s.remote(t, r)
		res, err := s.m.Sync(context.Background(), mirror.SyncRequest{Repository: "main", Remote: "up"}, nil)
		if tc.ok != (err == nil && res.Added == 1) {
			t.Errorf("%s: %v, %+v", tc.name, err, res)
		}
	}
}

// TestSyncProxy: every request of a remote with --proxy goes through the proxy.
func TestSyncProxy(t *testing.T) {
	up := indextest.New(t, writeAll(t, dist{name: "alpha", version: "1.0"}), indextest.Options{})
	var proxied atomic.Int64
	proxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		proxied.Add(1)
		r.Out.URL = r.In.URL // a forward proxy: the request names its absolute URL
		r.Out.Host = r.In.URL.Host
	}})
	t.Cleanup(proxy.Close)
	s := newSink(t, mirror.Options{})
	s.remote(t, mirror.Remote{Name: "up", URL: up.SimpleURL, Includes: []string{"alpha"}, Proxy: proxy.URL})
	res := s.sync(t, mirror.SyncRequest{Remote: "up"})
	if res.Added != 1 || proxied.Load() != up.Requests.Load() || proxied.Load() == 0 {
		t.Errorf("%+v: %d requests through the proxy, %d at the upstream", res, proxied.Load(), up.Requests.Load())
	}
}
