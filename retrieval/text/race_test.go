//go:build race

package text

// raceEnabled thins the differential tests under the race detector, which
// slows the library's tokenizer about tenfold.
const raceEnabled = true
