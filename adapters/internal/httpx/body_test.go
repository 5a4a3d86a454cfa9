package httpx

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestReadBody(t *testing.T) {
	for _, tt := range []struct {
		name   string
		body   io.Reader
		length int64
		want   int
	}{
		{"within the limit", strings.NewReader("hello"), 5, 0},
		{"declared over the limit", strings.NewReader("x"), 11, http.StatusRequestEntityTooLarge},
		{"over the limit, length unknown", bytes.NewReader(bytes.Repeat([]byte("x"), 11)), -1, http.StatusRequestEntityTooLarge},
		{"broken body", io.MultiReader(strings.NewReader("x"), errReader{}), -1, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", tt.body)
			r.ContentLength = tt.length
			body, status := ReadBody(httptest.NewRecorder(), r, 10, time.Second)
			if status != tt.want {
				t.Fatalf("status %d, want %d", status, tt.want)
			}
			if status == 0 && string(body) != "hello" {
				t.Errorf("body %q", body)
			}
		})
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }
