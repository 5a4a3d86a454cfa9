package main

import (
	"github.com/briefbot/briefbot/bot"
)

// buildAdapters constructs the configured chat adapters. Construction does
// no I/O; each adapter's Run connects.
func (s *server) buildAdapters() ([]bot.Adapter, error) {
	var out []bot.Adapter
	return out, nil
}
