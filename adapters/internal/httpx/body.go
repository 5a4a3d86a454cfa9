// Package httpx holds the HTTP plumbing the platform adapters share.
package httpx

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// ReadBody reads r's body within limit bytes and timeout. On failure it
// returns the status to answer: 413 for a body over limit (refused before
// reading when its declared length is), 408 for one that did not arrive in
// time, 400 for anything else.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64, timeout time.Duration) ([]byte, int) {
	if r.ContentLength > limit {
		return nil, http.StatusRequestEntityTooLarge
	}
	if timeout > 0 {
		// Not every ResponseWriter supports deadlines; the server's own
		// ReadTimeout then still applies.
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(timeout))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	var netErr net.Error
	switch {
	case err == nil:
		return body, 0
	case errors.As(err, &tooLarge):
		return nil, http.StatusRequestEntityTooLarge
	case errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return nil, http.StatusRequestTimeout
	default:
		return nil, http.StatusBadRequest
	}
}
