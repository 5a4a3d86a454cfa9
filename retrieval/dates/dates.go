// Package dates parses the publication dates news carries: ISO 8601 and
// RFC 3339 (and their common variants), YYYY/MM/DD, "4 December 2025",
// "December 4, 2025", "Dec. 4, 2025", the RFC 1123 and RFC 822 dates of
// feeds, and unix timestamps.
//
// It is our own bounded parser: the input is capped in length, every layout
// is tried with the standard library's time.Parse, and a string that is not
// a date is an error, never a panic.
package dates

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxLen is the longest string Parse considers; longer input is not a date.
const MaxLen = 100

// Publication years outside this range are refused as noise.
const (
	MinYear = 1900
	MaxYear = 2200
)

// ErrNotDate is returned (wrapped) for a string that is not a date in any
// layout Parse knows.
var ErrNotDate = errors.New("dates: not a date")

// Parse reads a date or date-time. Dates without a zone are UTC; the result
// is always in UTC.
func Parse(s string) (time.Time, error) {
	t, ok := parse(s)
	if !ok {
		if len(s) > 40 {
			s = s[:40] + "…"
		}
		return time.Time{}, fmt.Errorf("%w: %q", ErrNotDate, s)
	}
	return t, nil
}

// FromUnix converts a unix timestamp in seconds (or milliseconds, for
// values too large to be seconds of a plausible year) to a UTC time.
func FromUnix(v float64) (time.Time, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
		return time.Time{}, fmt.Errorf("%w: timestamp %v", ErrNotDate, v)
	}
	if v > 1e11 { // milliseconds
		v /= 1000
	}
	// Beyond MaxYear in seconds: refuse before converting to int64.
	if v > 8e9 {
		return time.Time{}, fmt.Errorf("%w: timestamp %v", ErrNotDate, v)
	}
	t := time.Unix(int64(v), 0).UTC()
	if !inRange(t) {
		return time.Time{}, fmt.Errorf("%w: timestamp %v", ErrNotDate, v)
	}
	return t, nil
}

func inRange(t time.Time) bool { return t.Year() >= MinYear && t.Year() <= MaxYear }

// isoLayouts are tried first, on the trimmed input as given.
var isoLayouts = []string{
	"2006-01-02",
	"2006-1-2",
	"2006/01/02",
	"2006/1/2",
	"2006.01.02",
	"20060102",
	time.RFC3339, // fractional seconds are accepted after the seconds field
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05Z0700",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04",
	"2006/01/02 15:04:05",
	"2006/01/02 15:04",
}

// Layouts of dates written with month names, after normalisation (weekday
// dropped, whitespace collapsed, "Dec." and "Sept" made "Dec" and "Sep",
// ordinals made numbers, zone names made offsets).
var (
	textDates = []string{
		"2 January 2006",
		"2 Jan 2006",
		"January 2, 2006",
		"Jan 2, 2006",
		"January 2 2006",
		"Jan 2 2006",
		"2 January, 2006",
		"2 Jan, 2006",
		"2 Jan 06",
		"02-Jan-06",
		"02-Jan-2006",
		"2006-Jan-02",
		"2006 Jan 2",
	}
	textTimes = []string{
		"",
		" 15:04:05 -0700",
		" 15:04 -0700",
		" 15:04:05",
		" 15:04",
		" 3:04 PM",
		" 3:04:05 PM",
		" 3:04 PM -0700",
		" 3:04:05 PM -0700",
		", 15:04:05 -0700",
		", 15:04",
		", 3:04 PM",
	}
	// ANSIC and UnixDate without the weekday: "Jan 2 15:04:05 2006",
	// "Jan 2 15:04:05 -0700 2006".
	otherLayouts = []string{
		"Jan 2 15:04:05 2006",
		"Jan 2 15:04:05 -0700 2006",
	}
)

var weekdays = map[string]bool{
	"mon": true, "tue": true, "tues": true, "wed": true, "thu": true, "thur": true, "thurs": true, "fri": true, "sat": true, "sun": true,
	"monday": true, "tuesday": true, "wednesday": true, "thursday": true, "friday": true, "saturday": true, "sunday": true,
}

var months = map[string]string{
	"jan": "Jan", "feb": "Feb", "mar": "Mar", "apr": "Apr", "may": "May", "jun": "Jun",
	"jul": "Jul", "aug": "Aug", "sep": "Sep", "sept": "Sep", "oct": "Oct", "nov": "Nov", "dec": "Dec",
	"january": "January", "february": "February", "march": "March", "april": "April", "june": "June",
	"july": "July", "august": "August", "september": "September", "october": "October",
	"november": "November", "december": "December",
}

// zones are the zone names of RFC 822 (and the usual UTC spellings) with
// their offsets; time.Parse would give them a zero offset.
var zones = map[string]string{
	"UT": "+0000", "UTC": "+0000", "GMT": "+0000", "Z": "+0000",
	"EST": "-0500", "EDT": "-0400", "CST": "-0600", "CDT": "-0500",
	"MST": "-0700", "MDT": "-0600", "PST": "-0800", "PDT": "-0700",
}

func parse(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > MaxLen || !utf8.ValidString(s) {
		return time.Time{}, false
	}
	if s[0] >= '0' && s[0] <= '9' {
		if t, ok := parseNumeric(s); ok {
			return t, true
		}
	}
	norm, ok := normalise(s)
	if !ok {
		return time.Time{}, false
	}
	for _, d := range textDates {
		for _, tm := range textTimes {
			if t, err := time.Parse(d+tm, norm); err == nil {
				return checked(t)
			}
		}
	}
	for _, layout := range otherLayouts {
		if t, err := time.Parse(layout, norm); err == nil {
			return checked(t)
		}
	}
	return time.Time{}, false
}

func checked(t time.Time) (time.Time, bool) {
	t = t.UTC()
	if !inRange(t) {
		return time.Time{}, false
	}
	return t, true
}

// parseNumeric reads ISO-like dates and bare unix timestamps.
func parseNumeric(s string) (time.Time, bool) {
	if allDigits(s) && len(s) != 8 {
		if len(s) < 9 || len(s) > 13 {
			return time.Time{}, false
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		t, err := FromUnix(float64(v))
		return t, err == nil
	}
	iso := strings.ToUpper(s) // RFC 3339 allows "t" and "z"
	for _, layout := range isoLayouts {
		if t, err := time.Parse(layout, iso); err == nil {
			return checked(t)
		}
	}
	return time.Time{}, false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// normalise rewrites a textual date into the spelling the layouts expect.
// It reports false when nothing in it names a month.
func normalise(s string) (string, bool) {
	// A trailing comment such as "(UTC)" or "(Eastern Standard Time)".
	if strings.HasSuffix(s, ")") {
		if i := strings.LastIndexByte(s, '('); i > 0 {
			s = s[:i]
		}
	}
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return "", false
	}
	if weekdays[strings.ToLower(strings.TrimRight(fields[0], ".,"))] {
		fields = fields[1:]
	}
	sawMonth := false
	for i, f := range fields {
		comma := strings.HasSuffix(f, ",")
		word := strings.TrimRight(f, ".,")
		switch {
		case months[strings.ToLower(word)] != "":
			word = months[strings.ToLower(word)]
			sawMonth = true
		case zones[strings.ToUpper(word)] != "" && i > 0:
			word = zones[strings.ToUpper(word)]
		case strings.EqualFold(word, "am") || strings.EqualFold(word, "pm") ||
			strings.EqualFold(word, "a.m") || strings.EqualFold(word, "p.m"):
			word = strings.ToUpper(strings.ReplaceAll(word, ".", ""))
		case isOrdinal(word):
			word = word[:len(word)-2]
		case strings.Contains(word, "-"):
			// 02-Jan-06 and 2006-Jan-02: a month name inside the token.
			parts := strings.Split(word, "-")
			for j, p := range parts {
				if m := months[strings.ToLower(p)]; m != "" && len(m) == 3 {
					parts[j] = m
					sawMonth = true
				}
			}
			word = strings.Join(parts, "-")
		default:
			word = strings.TrimRight(f, ",")
		}
		if comma {
			word += ","
		}
		fields[i] = word
	}
	if !sawMonth {
		return "", false
	}
	// An unknown zone name at the end ("CET", "BST"): read the time as UTC
	// rather than refuse the date.
	if n := len(fields); n > 2 && isZoneName(fields[n-1]) {
		fields = fields[:n-1]
	}
	return strings.Join(fields, " "), true
}

// isOrdinal reports whether w is a day number with an English ordinal
// suffix: 1st, 2nd, 3rd, 4th.
func isOrdinal(w string) bool {
	if len(w) < 3 || len(w) > 4 {
		return false
	}
	suf := strings.ToLower(w[len(w)-2:])
	if suf != "st" && suf != "nd" && suf != "rd" && suf != "th" {
		return false
	}
	return allDigits(w[:len(w)-2])
}

func isZoneName(w string) bool {
	if len(w) < 2 || len(w) > 5 || months[strings.ToLower(w)] != "" || w == "AM" || w == "PM" {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 'A' || w[i] > 'Z' {
			return false
		}
	}
	return true
}
