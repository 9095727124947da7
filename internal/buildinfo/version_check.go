package buildinfo

import (
	"fmt"
	"net/http"
	"sync"
)

// VersionHeader carries the pydepot version of the sender on every request and response
// between pydepot's clients and its server.
const VersionHeader = "X-Pydepot-Version"

// SetHeaders stamps an outgoing request with pydepot's User-Agent and VersionHeader, as
// every pydepot client sends them.
func SetHeaders(h http.Header) {
	h.Set("User-Agent", UserAgent())
	h.Set(VersionHeader, Version)
}

// VersionCheck notices, once, a pydepot server that runs another version than this
// client. The zero value is ready; it is safe for concurrent use.
type VersionCheck struct {
	once sync.Once
}

// Check looks at a response's headers from the server whose root URL is serverRoot and,
// the first time they name another version than Version, calls warn with a message that
// says how to get the matching client. Responses without VersionHeader (servers that are
// not pydepot) are ignored.
func (v *VersionCheck) Check(h http.Header, serverRoot string, warn func(msg string)) {
	sv := h.Get(VersionHeader)
	if sv == "" || sv == Version {
		return
	}
	v.once.Do(func() { warn(MismatchMessage(serverRoot, sv)) })
}

// MismatchMessage says that the server at serverRoot runs serverVersion, not Version, and
// how to fetch the matching client from it.
func MismatchMessage(serverRoot, serverVersion string) string {
	return fmt.Sprintf("this client is version %s but the server at %s runs %s; get the matching client with:\n  curl -fsSL -o pydepot %s/api/client && chmod +x pydepot",
		Version, serverRoot, serverVersion, serverRoot)
}
