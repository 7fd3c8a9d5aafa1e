package trace

import (
	"bytes"
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseManifest("header\n" + tt.line); err == nil {
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
