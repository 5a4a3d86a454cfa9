package embed

// Dot returns the dot product of a and b (the cosine similarity of unit
// vectors). b must be at least as long as a. Four independent accumulators
// let the CPU overlap the multiply-adds; the loop is several times faster
// than a single running sum.
func Dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		aa := a[i : i+8 : i+8]
		bb := b[i : i+8 : i+8]
		s0 += aa[0]*bb[0] + aa[4]*bb[4]
		s1 += aa[1]*bb[1] + aa[5]*bb[5]
		s2 += aa[2]*bb[2] + aa[6]*bb[6]
		s3 += aa[3]*bb[3] + aa[7]*bb[7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// Dot2 returns Dot(a, b) and Dot(a, c), each computed exactly as Dot
// computes it (the same products summed in the same order), in one loop:
// two vectors read at once keep two sets of cache misses in flight where
// one Dot after another waits for each vector in turn.
func Dot2(a, b, c []float32) (float32, float32) {
	b, c = b[:len(a)], c[:len(a)]
	var s0, s1, s2, s3 float32
	var t0, t1, t2, t3 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		aa := a[i : i+8 : i+8]
		bb := b[i : i+8 : i+8]
		cc := c[i : i+8 : i+8]
		s0 += aa[0]*bb[0] + aa[4]*bb[4]
		t0 += aa[0]*cc[0] + aa[4]*cc[4]
		s1 += aa[1]*bb[1] + aa[5]*bb[5]
		t1 += aa[1]*cc[1] + aa[5]*cc[5]
		s2 += aa[2]*bb[2] + aa[6]*bb[6]
		t2 += aa[2]*cc[2] + aa[6]*cc[6]
		s3 += aa[3]*bb[3] + aa[7]*bb[7]
		t3 += aa[3]*cc[3] + aa[7]*cc[7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
		t0 += a[i] * c[i]
	}
	return (s0 + s1) + (s2 + s3), (t0 + t1) + (t2 + t3)
}
