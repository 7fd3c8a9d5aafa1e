package trim

// Slice returns s cut to its first n elements. When s's capacity is more
// than twice n (and more than a few dozen elements), the n elements are
// copied into a new array, so that the old one can be collected; otherwise
// s[:n] is returned. n larger than len(s) is taken as len(s).
func Slice[S ~[]E, E any](s S, n int) S {
	n = min(max(n, 0), len(s))
	if cap(s) <= 2*n+64 {
		return s[:n]
	}
	if n == 0 {
		return nil
	}
	return append(S(make([]E, 0, n)), s[:n]...)
}
