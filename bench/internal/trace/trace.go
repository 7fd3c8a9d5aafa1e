// Package trace reads the cache request traces of the hit-ratio simulator
// and their manifest.
//
// A trace file (NAME.trace.gz) is a gzip stream of signed varints
// (encoding/binary.PutVarint), each the difference between a request's key
// and the previous request's key; the first is relative to zero. The
// manifest (traces.tsv) lists, tab-separated with a header line: name,
// source, requests, unique keys and comma-separated suggested capacities.
// Both are untrusted input: a truncated or corrupt trace, and a manifest
// without its header, with a repeated trace or capacity, or with a name
// that is not a plain file name, are errors.
//
// # Caveats
//
// Read loads a whole trace into memory (8 bytes per request). Functions are
// safe for concurrent use; they share no state.
package trace

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// manifestHeader is the manifest's first line.
const manifestHeader = "name\tsource\trequests\tunique\tcapacities"

// Entry is one line of the manifest.
type Entry struct {
	Name       string
	Source     string
	Requests   int
	Unique     int
	Capacities []int
}

// Decode reads a varint-delta key stream (already decompressed) to the end.
func Decode(r io.Reader) ([]uint64, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var keys []uint64
	var key uint64
	for {
		d, err := binary.ReadVarint(br)
		if errors.Is(err, io.EOF) {
			return keys, nil
		}
		if err != nil {
			return keys, fmt.Errorf("trace: request %d: %w", len(keys), err)
		}
		key += uint64(d)
		keys = append(keys, key)
	}
}

// Encode writes keys as a varint-delta stream (not compressed).
func Encode(w io.Writer, keys []uint64) error {
	bw := bufio.NewWriter(w)
	var buf [binary.MaxVarintLen64]byte
	var prev uint64
	for _, k := range keys {
		n := binary.PutVarint(buf[:], int64(k-prev))
		if _, err := bw.Write(buf[:n]); err != nil {
			return err
		}
		prev = k
	}
	return bw.Flush()
}

// Read reads a gzip-compressed trace to the end. A stream that is cut
// short, fails its checksum or ends inside a varint is an error.
func Read(r io.Reader) ([]uint64, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return Decode(zr)
}

// ReadFile reads a gzip-compressed trace file (see Read).
func ReadFile(path string) ([]uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	keys, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("trace: %s: %w", path, err)
	}
	return keys, nil
}

// WriteFile writes keys as a gzip-compressed trace file.
func WriteFile(path string, keys []uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(f)
	err = Encode(zw, keys)
	return errors.Join(err, zw.Close(), f.Close())
}

// Path returns the file of the named trace in dir.
func Path(dir, name string) string { return filepath.Join(dir, name+".trace.gz") }

// ReadManifest parses dir/traces.tsv.
func ReadManifest(dir string) ([]Entry, error) {
	b, err := os.ReadFile(filepath.Join(dir, "traces.tsv"))
	if err != nil {
		return nil, err
	}
	return ParseManifest(string(b))
}

// ParseManifest parses the text of a traces.tsv manifest. Its first line
// must be the header (name, source, requests, unique, capacities).
func ParseManifest(text string) ([]Entry, error) {
	var out []Entry
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if h := strings.TrimRight(lines[0], "\r"); h != manifestHeader {
		return nil, fmt.Errorf("trace: manifest line 1: want the header %q, got %q", manifestHeader, h)
	}
	seen := map[string]bool{}
	for i, line := range lines {
		if i == 0 || strings.TrimSpace(line) == "" {
			continue
		}
		e, err := parseLine(line)
		if err == nil && seen[e.Name] {
			err = fmt.Errorf("trace %q listed twice", e.Name)
		}
		if err != nil {
			return nil, fmt.Errorf("trace: manifest line %d: %w", i+1, err)
		}
		seen[e.Name] = true
		out = append(out, e)
	}
	return out, nil
}

func parseLine(line string) (Entry, error) {
	f := strings.Split(strings.TrimRight(line, "\r"), "\t")
	if len(f) != 5 {
		return Entry{}, fmt.Errorf("want 5 tab-separated fields, got %d", len(f))
	}
	e := Entry{Name: f[0], Source: f[1]}
	if e.Name == "" || e.Name == "." || e.Name == ".." || strings.ContainsAny(e.Name, `/\`) {
		return Entry{}, fmt.Errorf("name %q: must be a file name in the manifest's directory", e.Name)
	}
	var err error
	if e.Requests, err = strconv.Atoi(f[2]); err != nil {
		return Entry{}, fmt.Errorf("requests: %w", err)
	}
	if e.Requests <= 0 {
		return Entry{}, fmt.Errorf("requests: must be > 0, got %d", e.Requests)
	}
	if e.Unique, err = strconv.Atoi(f[3]); err != nil {
		return Entry{}, fmt.Errorf("unique: %w", err)
	}
	if e.Unique <= 0 || e.Unique > e.Requests {
		return Entry{}, fmt.Errorf("unique: must be in 1..requests (%d), got %d", e.Requests, e.Unique)
	}
	for c := range strings.SplitSeq(f[4], ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n <= 0 {
			return Entry{}, fmt.Errorf("capacity %q: must be a positive integer", c)
		}
		if slices.Contains(e.Capacities, n) {
			return Entry{}, fmt.Errorf("capacity %d listed twice", n)
		}
		e.Capacities = append(e.Capacities, n)
	}
	return e, nil
}
