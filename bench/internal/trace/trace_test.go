package trace

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestFileRoundTrip(t *testing.T) {
	keys := []uint64{5, 3, 3, 1 << 63, 0, ^uint64(0), 42}
	path := Path(t.TempDir(), "tiny")
	if err := WriteFile(path, keys); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, keys) {
		t.Fatalf("ReadFile = %v, want %v", got, keys)
	}
}

func TestDecodeDeltas(t *testing.T) {
	// Hand-encoded: +10, -3, +0 (zig-zag varints 20, 5, 0) → keys 10, 7, 7.
	got, err := Decode(bytes.NewReader([]byte{20, 5, 0}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint64{10, 7, 7}; !slices.Equal(got, want) {
		t.Fatalf("Decode = %v, want %v", got, want)
	}
}

func TestDecodeTruncated(t *testing.T) {
	if _, err := Decode(bytes.NewReader([]byte{20, 0x80})); err == nil {
		t.Fatal("Decode of a truncated varint: err = nil, want an error")
	}
}

func TestManifest(t *testing.T) {
	dir := t.TempDir()
	text := "name\tsource\trequests\tunique\tcapacities\n" +
		"a\tsome source\t10\t4\t2,3\n" +
		"b\tother\t7\t7\t5\n"
	if err := os.WriteFile(filepath.Join(dir, "traces.tsv"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Name: "a", Source: "some source", Requests: 10, Unique: 4, Capacities: []int{2, 3}},
		{Name: "b", Source: "other", Requests: 7, Unique: 7, Capacities: []int{5}},
	}
	if len(got) != len(want) {
		t.Fatalf("ReadManifest returned %d entries, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || g.Source != w.Source || g.Requests != w.Requests || g.Unique != w.Unique || !slices.Equal(g.Capacities, w.Capacities) {
			t.Errorf("entry %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestManifestErrors(t *testing.T) {
	tests := []struct {
		name string
		line string
	}{
		{name: "fields", line: "a\tb\t1\t1"},
		{name: "requests", line: "a\tb\tx\t1\t2"},
		{name: "capacity", line: "a\tb\t1\t1\t2,0"},
		{name: "requests-zero", line: "a\tb\t0\t0\t2"},
		{name: "name-empty", line: "\tb\t1\t1\t2"},
		{name: "name-path", line: "../a\tb\t1\t1\t2"},
		{name: "unique-above-requests", line: "a\tb\t5\t6\t2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseManifest(manifestHeader + "\n" + tt.line); err == nil {
				t.Fatalf("ParseManifest(%q): err = nil, want an error", tt.line)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte{20, 5, 0})
	f.Add([]byte{0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := Decode(bytes.NewReader(b))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := Encode(&buf, keys); err != nil {
			t.Fatal(err)
		}
		again, err := Decode(&buf)
		if err != nil || !slices.Equal(again, keys) {
			t.Fatalf("re-decoded %v (%v), want %v", again, err, keys)
		}
	})
}

// TestManifestMalformed: a manifest whose header line is missing (or is
// not traces.tsv's) must be refused; taking its first line for the header
// would silently drop the first trace. So must one that lists a trace or a
// capacity twice.
func TestManifestMalformed(t *testing.T) {
	tests := []struct {
		name string
		text string
	}{
		{name: "no-header", text: "a\tsome source\t10\t4\t2,3\nb\tother\t7\t7\t5\n"},
		{name: "other-header", text: "trace\tcapacity\n" + "a\tsome source\t10\t4\t2,3\n"},
		// A repeated trace or capacity would count its points twice in
		// every mean.
		{name: "repeated-trace", text: manifestHeader + "\na\ts\t10\t4\t2\na\ts\t10\t4\t3\n"},
		{name: "repeated-capacity", text: manifestHeader + "\na\ts\t10\t4\t2,3,2\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := ParseManifest(tt.text); err == nil {
				t.Fatalf("ParseManifest(%q) = %+v, nil; want an error", tt.text, got)
			}
		})
	}
}

// fuzzTrace turns fuzz bytes into keys (8 bytes a key, little-endian, so
// that deltas of every varint length occur) and their gzip-compressed
// trace.
func fuzzTrace(t *testing.T, data []byte) ([]uint64, []byte) {
	t.Helper()
	var keys []uint64
	for len(data) > 0 {
		var k [8]byte
		n := copy(k[:], data)
		data = data[n:]
		keys = append(keys, binary.LittleEndian.Uint64(k[:]))
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := Encode(zw, keys); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return keys, buf.Bytes()
}

var fuzzSeeds = [][]byte{
	{},
	{20, 5, 0},
	{1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 9},
	bytes.Repeat([]byte{0x80, 0, 0, 0, 0, 0, 0, 0x80}, 40),
}

// FuzzReadTruncated: a trace file cut anywhere short of its end is an
// error, never a shorter trace.
func FuzzReadTruncated(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, uint(i*7))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint) {
		keys, file := fuzzTrace(t, data)
		got, err := Read(bytes.NewReader(file))
		if err != nil || !slices.Equal(got, keys) {
			t.Fatalf("Read of the whole file = %v, %v; want %v", got, err, keys)
		}
		n := int(cut % uint(len(file)))
		if got, err := Read(bytes.NewReader(file[:n])); err == nil {
			t.Fatalf("Read of the first %d of %d bytes = %d keys, nil error; want an error", n, len(file), len(got))
		}
	})
}

// FuzzReadBitFlip: a trace file with one bit flipped anywhere is either
// rejected or read as exactly the original keys (a flip in a header field
// that does not matter); it is never read as another trace.
func FuzzReadBitFlip(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, uint(i*13), uint8(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, pos uint, bit uint8) {
		keys, file := fuzzTrace(t, data)
		i := int(pos % uint(len(file)))
		file[i] ^= 1 << (bit % 8)
		if got, err := Read(bytes.NewReader(file)); err == nil && !slices.Equal(got, keys) {
			t.Fatalf("bit %d of byte %d flipped: Read = %d keys, nil error; want an error or the %d original keys", bit%8, i, len(got), len(keys))
		}
	})
}
