package cli

import (
	"net"
	"strings"
	"testing"
	"time"
)

// TestServerThatNeverAnswers: a server that accepts the connection and then says nothing
// makes the command fail after the response timeout instead of hanging.
func TestServerThatNeverAnswers(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		var held []net.Conn // open, never answered
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	env, _, errb := testEnv(map[string]string{"PYDEPOT_URL": "http://" + l.Addr().String()})
	env.HTTP = NewHTTPClient(300 * time.Millisecond)
	start := time.Now()
	code := Main(t.Context(), []string{"repo", "list"}, env)
	if d := time.Since(start); code == 0 || d > 5*time.Second || !strings.Contains(errb.String(), "timeout") {
		t.Fatalf("exit %d after %v: %s", code, d, errb.String())
	}
}
