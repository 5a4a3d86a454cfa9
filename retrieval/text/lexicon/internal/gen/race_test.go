//go:build race

package main

// raceEnabled skips the regeneration of the whole table, which takes
// minutes under the race detector and shares no state between goroutines.
const raceEnabled = true
