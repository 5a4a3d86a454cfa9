//go:build !linux

package engine

func adviseRandom([]byte)           {}
func adviseNormal([]byte, int, int) {}
