// Package httpxtest holds the adapters' shared checks of their webhook
// servers.
package httpxtest

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// StalledBodyStatus posts to path on the server at baseURL a JSON body
// that announces 1000 bytes and sends a few, then nothing more, and
// returns the status the server answers with on its own (within wait).
func StalledBodyStatus(t testing.TB, baseURL, path string, wait time.Duration) int {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(baseURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"type\":", path)
	if err := conn.SetReadDeadline(time.Now().Add(wait)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no response to a stalled body: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
