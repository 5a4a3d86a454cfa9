package dates_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/briefbot/briefbot/retrieval/dates"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339 in UTC; "" = not a date
	}{
		{"2025-12-06", "2025-12-06T00:00:00Z"},
		{"  2025-12-06\n", "2025-12-06T00:00:00Z"},
		{"2025-1-6", "2025-01-06T00:00:00Z"},
		{"2022/06/12", "2022-06-12T00:00:00Z"},
		{"2022/6/2", "2022-06-02T00:00:00Z"},
		{"2022.06.12", "2022-06-12T00:00:00Z"},
		{"20220612", "2022-06-12T00:00:00Z"},
		{"2025-12-06T23:30:00-05:00", "2025-12-07T04:30:00Z"},
		{"2025-12-06T23:30:00Z", "2025-12-06T23:30:00Z"},
		{"2025-12-06t23:30:00z", "2025-12-06T23:30:00Z"},
		{"2025-12-06T23:30:00.123456+01:00", "2025-12-06T22:30:00.123456Z"},
		{"2025-12-06T23:30:00+0100", "2025-12-06T22:30:00Z"},
		{"2025-12-06T23:30:00", "2025-12-06T23:30:00Z"},
		{"2025-12-06T23:30", "2025-12-06T23:30:00Z"},
		{"2025-12-06 23:30:00", "2025-12-06T23:30:00Z"},
		{"2025-12-06 23:30:00+02:00", "2025-12-06T21:30:00Z"},
		{"2025-12-06 23:30:00 -0700", "2025-12-07T06:30:00Z"},
		{"4 December 2025", "2025-12-04T00:00:00Z"},
		{"4 Dec 2025", "2025-12-04T00:00:00Z"},
		{"December 4, 2025", "2025-12-04T00:00:00Z"},
		{"december 4 2025", "2025-12-04T00:00:00Z"},
		{"Dec. 4, 2025", "2025-12-04T00:00:00Z"},
		{"Sept. 4, 2025", "2025-09-04T00:00:00Z"},
		{"Sept 4, 2025", "2025-09-04T00:00:00Z"},
		{"December 4th, 2025", "2025-12-04T00:00:00Z"},
		{"1st Jan 2024", "2024-01-01T00:00:00Z"},
		{"Thursday, December 4, 2025", "2025-12-04T00:00:00Z"},
		{"Dec 4, 2025 3:04 PM", "2025-12-04T15:04:00Z"},
		{"Dec 4, 2025 3:04 p.m.", "2025-12-04T15:04:00Z"},
		{"4 December 2025 10:30", "2025-12-04T10:30:00Z"},
		// RFC 1123 / RFC 822 as in RSS feeds.
		{"Thu, 04 Dec 2025 10:30:00 GMT", "2025-12-04T10:30:00Z"},
		{"Thu, 4 Dec 2025 10:30:00 +0200", "2025-12-04T08:30:00Z"},
		{"Thu, 04 Dec 2025 10:30:00 EST", "2025-12-04T15:30:00Z"},
		{"Thu, 04 Dec 2025 10:30:00 PDT", "2025-12-04T17:30:00Z"},
		{"Thu, 04 Dec 2025 10:30:00 +0000 (UTC)", "2025-12-04T10:30:00Z"},
		{"Thu, 04 Dec 2025 10:30 +0000", "2025-12-04T10:30:00Z"},
		{"04 Dec 25 10:30 EST", "2025-12-04T15:30:00Z"},
		{"Thursday, 04-Dec-25 10:30:00 GMT", "2025-12-04T10:30:00Z"},
		{"Thu, 04 Dec 2025 10:30:00 CET", "2025-12-04T10:30:00Z"},
		{"Thu Dec  4 10:30:00 2025", "2025-12-04T10:30:00Z"},
		{"Thu Dec 4 10:30:00 EST 2025", "2025-12-04T15:30:00Z"},
		{"1764844200", "2025-12-04T10:30:00Z"},
		{"1764844200000", "2025-12-04T10:30:00Z"},
		// Not dates.
		{"", ""},
		{"   ", ""},
		{"yesterday-ish", ""},
		{"0  0000 11111,0000111111", ""},
		{"2025-13-01", ""},
		{"2025-02-30", ""},
		{"0001-01-01", ""},
		{"9999-12-31", ""},
		{"December", ""},
		{"4 December", ""},
		{"12345", ""},
		{"99999999999999999999999", ""},
		{"Mon,", ""},
		{"(", ""},
		{"Dec 4, 2025" + strings.Repeat(" ", 200), "2025-12-04T00:00:00Z"},
		{strings.Repeat("December 4, 2025 ", 10), ""},
		{"2025-12-06\xff", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := dates.Parse(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("Parse(%q) = %v, want an error", tt.in, got)
				}
				if !errors.Is(err, dates.ErrNotDate) {
					t.Errorf("error %v does not wrap ErrNotDate", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got.Location() != time.UTC {
				t.Errorf("location %v, want UTC", got.Location())
			}
			if s := got.Format(time.RFC3339Nano); s != tt.want {
				t.Errorf("Parse(%q) = %s, want %s", tt.in, s, tt.want)
			}
		})
	}
}

func TestFromUnix(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{1764844200, "2025-12-04T10:30:00Z"},
		{1764844200123, "2025-12-04T10:30:00Z"},
		{0, ""},
		{-5, ""},
		{1e300, ""},
		{9e18, ""},
		{1000, "1970-01-01T00:16:40Z"},
	}
	for _, tt := range tests {
		got, err := dates.FromUnix(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("FromUnix(%v) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got.Format(time.RFC3339) != tt.want {
			t.Errorf("FromUnix(%v) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

// FuzzParse checks that no input panics Parse, that a parsed date is UTC
// and within the plausible years, and that it reads back the same.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"2025-12-06", "December 4, 2025", "Thu, 04 Dec 2025 10:30:00 GMT", "0  0000 11111,0000111111", "1764844200"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := dates.Parse(s)
		if err != nil {
			if !errors.Is(err, dates.ErrNotDate) {
				t.Fatalf("error %v does not wrap ErrNotDate", err)
			}
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("Parse(%q) location %v", s, got.Location())
		}
		if got.Year() < dates.MinYear || got.Year() > dates.MaxYear {
			t.Fatalf("Parse(%q) = %v, outside the plausible years", s, got)
		}
		again, err := dates.Parse(got.Format(time.RFC3339Nano))
		if err != nil || !again.Equal(got) {
			t.Fatalf("Parse(%q) = %v does not read back: %v, %v", s, got, again, err)
		}
	})
}
