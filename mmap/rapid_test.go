//go:build linux || darwin

package mmap_test

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/patinox/memory/mmap"
	"pgregory.net/rapid"
)

// TestRapidReadWriteModel drives a ReadWrite Map and a second, Private Map
// of the same file with random WriteAt, ReadAt, View, Grow and Flush calls,
// and checks them against a []byte model of the file: shared writes show in
// the file after Flush, private ones never do.
func TestRapidReadWriteModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		path := tempFile(t, pattern(rapid.IntRange(0, 3*page).Draw(rt, "size")))
		rw, err := mmap.Open(path, mmap.ReadWrite)
		if err != nil {
			rt.Fatal(err)
		}
		defer rw.Close()
		priv, err := mmap.Open(path, mmap.Private)
		if err != nil {
			rt.Fatal(err)
		}
		defer priv.Close()
		model, _ := os.ReadFile(path)
		privModel := bytes.Clone(model)
		privWritten := map[int]bool{}
		rt.Repeat(map[string]func(*rapid.T){
			"write": func(rt *rapid.T) {
				off := rapid.IntRange(0, len(model)+8).Draw(rt, "off")
				p := rapid.SliceOfN(rapid.Byte(), 0, 100).Draw(rt, "p")
				n, err := rw.WriteAt(p, int64(off))
				want := 0
				if off <= len(model) {
					want = copy(model[off:], p)
				}
				if n != want || (off > len(model) || want < len(p)) != (err != nil) {
					rt.Fatalf("WriteAt(%d bytes, %d) = %d, %v; model wrote %d", len(p), off, n, err, want)
				}
			},
			"privateWrite": func(rt *rapid.T) {
				if len(privModel) == 0 {
					rt.Skip("empty private mapping")
				}
				off := rapid.IntRange(0, len(privModel)-1).Draw(rt, "off")
				b := rapid.Byte().Draw(rt, "b")
				if _, err := priv.WriteAt([]byte{b}, int64(off)); err != nil {
					rt.Fatal(err)
				}
				privModel[off] = b
				privWritten[off] = true
			},
			"read": func(rt *rapid.T) {
				off := rapid.IntRange(0, len(model)+8).Draw(rt, "off")
				n := rapid.IntRange(0, 200).Draw(rt, "n")
				got, want := make([]byte, n), make([]byte, n)
				gn, gerr := rw.ReadAt(got, int64(off))
				wn, werr := bytes.NewReader(model).ReadAt(want, int64(off))
				if gn != wn || gerr != werr || !bytes.Equal(got, want) {
					rt.Fatalf("ReadAt(%d, %d) = %d, %v; model %d, %v", n, off, gn, gerr, wn, werr)
				}
			},
			"view": func(rt *rapid.T) {
				_ = rw.View(func(b []byte) error {
					if !bytes.Equal(b, model) {
						rt.Fatal("View differs from the model")
					}
					return nil
				})
			},
			"grow": func(rt *rapid.T) {
				extra := rapid.IntRange(1, 2*page).Draw(rt, "extra")
				if err := rw.Grow(int64(len(model) + extra)); err != nil {
					rt.Fatal(err)
				}
				model = append(model, make([]byte, extra)...)
			},
			"flush": func(rt *rapid.T) {
				if err := rw.Flush(); err != nil {
					rt.Fatal(err)
				}
				disk, err := os.ReadFile(path)
				if err != nil || !bytes.Equal(disk, model) {
					rt.Fatalf("file after Flush differs from the model (%v)", err)
				}
			},
			"": func(rt *rapid.T) {
				// The Private mapping keeps its own writes; the bytes it never
				// wrote may follow the file, so only the written ones are compared.
				got := make([]byte, len(privModel))
				if n, err := priv.ReadAt(got, 0); n != len(got) || (err != nil && err != io.EOF) {
					rt.Fatalf("private ReadAt = %d, %v", n, err)
				}
				for off := range privWritten {
					if got[off] != privModel[off] {
						rt.Fatalf("private byte %d = %d, want its own write %d", off, got[off], privModel[off])
					}
				}
			},
		})
	})
}
