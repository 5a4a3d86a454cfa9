//go:build race

package bot_test

// raceEnabled reports a -race build: the RealTime QA quality run is skipped
// there (it checks numbers, not concurrency, and is 20x slower).
const raceEnabled = true
