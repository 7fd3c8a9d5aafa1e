package pressure

import "bytes"

// PSI is the kernel's pressure-stall information for memory: the share of
// wall time in which some (or all) runnable tasks were stalled waiting for
// memory, averaged over 10, 60 and 300 seconds, in percent.
type PSI struct {
	// Some10, Some60 and Some300 are the percentages of the last 10, 60
	// and 300 seconds in which at least one task was stalled on memory
	// (the "some" line's avg10, avg60 and avg300).
	Some10, Some60, Some300 float64
	// Full10, Full60 and Full300 are the percentages of the last 10, 60
	// and 300 seconds in which all non-idle tasks were stalled on memory
	// at once (the "full" line): time in which no useful work was done.
	Full10, Full60, Full300 float64
	// SomeTotal and FullTotal are the cumulative stall times, in
	// microseconds, of the "some" and "full" lines (their total field).
	SomeTotal, FullTotal uint64
}

// parsePSI parses the contents of a memory.pressure file without allocating.
func parsePSI(b []byte, p *PSI) bool {
	found := false
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		kind, rest, ok := bytes.Cut(line, []byte{' '})
		if !ok {
			continue
		}
		var a10, a60, a300 *float64
		var total *uint64
		switch string(kind) {
		case "some":
			a10, a60, a300, total = &p.Some10, &p.Some60, &p.Some300, &p.SomeTotal
		case "full":
			a10, a60, a300, total = &p.Full10, &p.Full60, &p.Full300, &p.FullTotal
		default:
			continue
		}
		for len(rest) > 0 {
			var field []byte
			field, rest, _ = bytes.Cut(rest, []byte{' '})
			k, v, _ := bytes.Cut(field, []byte{'='})
			switch string(k) {
			case "avg10":
				*a10 = parseFixed(v)
			case "avg60":
				*a60 = parseFixed(v)
			case "avg300":
				*a300 = parseFixed(v)
			case "total":
				n, _ := parseInt(v)
				*total = uint64(n)
			}
		}
		found = true
	}
	return found
}

// parseFixed parses a decimal like "12.34" without allocating; bad input is 0.
func parseFixed(b []byte) float64 {
	whole, frac, _ := bytes.Cut(b, []byte{'.'})
	w, ok := parseInt(whole)
	if !ok {
		return 0
	}
	v := float64(w)
	scale := 0.1
	for _, c := range frac {
		if c < '0' || c > '9' {
			return 0
		}
		v += float64(c-'0') * scale
		scale /= 10
	}
	return v
}
