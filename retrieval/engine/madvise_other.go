//go:build !linux

package engine

func adviseRandom([]byte)           {}
func adviseNormal([]byte, int, int) {}
func adviseDone([]byte, int, int)   {}
