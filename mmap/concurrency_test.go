//go:build linux || darwin

package mmap_test

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/patinox/memory/mmap"
)

func TestCloseWaitsForRunningView(t *testing.T) {
	path := tempFile(t, pattern(page))
	synctest.Test(t, func(t *testing.T) {
		m, err := mmap.Open(path, mmap.ReadOnly)
		if err != nil {
			t.Fatal(err)
		}
		entered, release := make(chan struct{}), make(chan struct{})
		viewDone := make(chan error)
		go func() {
			viewDone <- m.View(func(b []byte) error {
				close(entered)
				<-release
				sink = b[len(b)-1] // still mapped: Close is waiting for us
				return nil
			})
		}()
		<-entered
		closed := make(chan error)
		go func() { closed <- m.Close() }()
		synctest.Wait()
		select {
		case err := <-closed:
			t.Fatalf("Close returned (%v) while a view was running", err)
		default:
		}
		if err := m.View(func([]byte) error { return nil }); !errors.Is(err, mmap.ErrClosed) {
			t.Fatalf("new View during Close err = %v, want ErrClosed", err)
		}
		close(release)
		if err := <-viewDone; err != nil {
			t.Fatalf("running view err = %v", err)
		}
		if err := <-closed; err != nil {
			t.Fatalf("Close: %v", err)
		}
	})
}

func TestViewsRaceClose(t *testing.T) {
	want := pattern(8 * page)
	path := tempFile(t, want)
	synctest.Test(t, func(t *testing.T) {
		m, err := mmap.Open(path, mmap.ReadOnly)
		if err != nil {
			t.Fatal(err)
		}
		const readers = 8
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, readers)
		running := make(chan struct{}, readers)
		for i := range readers {
			wg.Go(func() {
				<-start
				errs <- readUntilClosed(m, want, i, func() { running <- struct{}{} })
			})
		}
		close(start)
		for range readers { // Close only once every reader is in its loop
			<-running
		}
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	})
}

// readUntilClosed views, copies and type-views m until it reports ErrClosed;
// every successful access must see the file's bytes.
func readUntilClosed(m *mmap.Map, want []byte, i int, running func()) error {
	buf := make([]byte, 64)
	for n := 0; ; n++ {
		if n == 1 {
			running()
		}
		var err error
		switch i % 3 {
		case 0:
			err = m.View(func(b []byte) error {
				if !bytes.Equal(b, want) {
					return errors.New("View saw wrong bytes")
				}
				return nil
			})
		case 1:
			var n int
			n, err = m.ReadAt(buf, int64(page))
			if err == nil && (n != len(buf) || !bytes.Equal(buf, want[page:page+64])) {
				return errors.New("ReadAt saw wrong bytes")
			}
		case 2:
			err = mmap.ViewOf(m, 0, 8, func(xs []uint8) error {
				if !bytes.Equal(xs, want[:8]) {
					return errors.New("ViewOf saw wrong bytes")
				}
				return nil
			})
		}
		if errors.Is(err, mmap.ErrClosed) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func TestGrowWhileReading(t *testing.T) {
	path := tempFile(t, pattern(page))
	synctest.Test(t, func(t *testing.T) {
		m, err := mmap.Open(path, mmap.ReadWrite)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if _, err := m.WriteAt([]byte("head"), 0); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		readerErr := make(chan error, 4)
		for range 4 {
			wg.Go(func() { readerErr <- readHeadUntil(m, stop) })
		}
		oldView := make(chan []byte, 1)
		_ = m.View(func(b []byte) error { oldView <- b; return nil })
		for i := 2; i <= 16; i++ {
			if err := m.Grow(int64(i * page)); err != nil {
				t.Fatalf("Grow(%d pages): %v", i, err)
			}
			if _, err := m.WriteAt([]byte{byte(i)}, int64(i*page-1)); err != nil {
				t.Fatalf("WriteAt in grown range: %v", err)
			}
		}
		close(stop)
		wg.Wait()
		close(readerErr)
		for err := range readerErr {
			if err != nil {
				t.Error(err)
			}
		}
		if got := m.Len(); got != 16*page {
			t.Fatalf("Len = %d, want %d", got, 16*page)
		}
		// The range replaced by Grow is still mapped and coherent with the file.
		old := <-oldView
		if _, err := m.WriteAt([]byte("HEAD"), 0); err != nil {
			t.Fatal(err)
		}
		if string(old[:4]) != "HEAD" {
			t.Fatalf("old range reads %q, want the new write %q", old[:4], "HEAD")
		}
		if err := m.Grow(int64(page)); !errors.Is(err, mmap.ErrOutOfRange) {
			t.Fatalf("shrinking Grow err = %v, want ErrOutOfRange", err)
		}
	})
}

func readHeadUntil(m *mmap.Map, stop <-chan struct{}) error {
	buf := make([]byte, 4)
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		if _, err := m.ReadAt(buf, 0); err != nil || (string(buf) != "head" && string(buf) != "HEAD") {
			return errors.New("reader saw " + string(buf) + " during Grow")
		}
		if err := m.View(func(b []byte) error {
			if len(b) < page {
				return errors.New("view shorter than the initial length")
			}
			return nil
		}); err != nil {
			return err
		}
	}
}
