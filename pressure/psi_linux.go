//go:build linux

package pressure

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// psiSource holds Linux PSI triggers on a memory.pressure file: the kernel
// wakes a poll(2) when memory stalls exceed a threshold within a window, so
// pressure is noticed between polls instead of at the next one.
type psiSource struct {
	path   string
	avg    *os.File // plain handle for the averages
	some   int      // trigger fd: some-stall over threshold → High
	full   int      // trigger fd: full-stall over threshold → Critical
	wakeR  int      // pipe read end: closing wakeW ends the watcher
	wakeW  int
	buf    []byte
	events chan Level // the watcher's findings, latest wins
	once   sync.Once
}

// openPSI registers two triggers on path: stall (in µs) within window (in µs),
// for "some" and "full". Unprivileged processes need window to be a multiple of 2 s.
func openPSI(path string, stall, window int64) (*psiSource, error) {
	avg, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	s := &psiSource{path: path, avg: avg, some: -1, full: -1, wakeR: -1, wakeW: -1,
		buf: make([]byte, 256), events: make(chan Level, 1)}
	if s.some, err = psiTrigger(path, "some", stall, window); err != nil {
		s.close()
		return nil, err
	}
	if s.full, err = psiTrigger(path, "full", stall, window); err != nil {
		s.close()
		return nil, err
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		s.close()
		return nil, fmt.Errorf("pressure: pipe: %w", err)
	}
	s.wakeR, s.wakeW = p[0], p[1]
	return s, nil
}

func psiTrigger(path, kind string, stall, window int64) (int, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("pressure: open %s: %w", path, err)
	}
	spec := fmt.Sprintf("%s %d %d\x00", kind, stall, window)
	if _, err := unix.Write(fd, []byte(spec)); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("pressure: PSI trigger %q on %s: %w", spec[:len(spec)-1], path, err)
	}
	return fd, nil
}

// watch blocks in poll(2) until a trigger fires or stop is called, and sends
// what fired to events. It is the only goroutine that reads the trigger fds.
func (s *psiSource) watch() {
	fds := []unix.PollFd{
		{Fd: int32(s.some), Events: unix.POLLPRI},
		{Fd: int32(s.full), Events: unix.POLLPRI},
		{Fd: int32(s.wakeR), Events: unix.POLLIN},
	}
	for {
		if _, err := unix.Poll(fds, -1); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return
		}
		if fds[2].Revents != 0 || (fds[0].Revents|fds[1].Revents)&(unix.POLLERR|unix.POLLNVAL) != 0 {
			return // stopped, or the cgroup went away
		}
		lvl := Normal
		if fds[0].Revents&unix.POLLPRI != 0 {
			lvl = High
		}
		if fds[1].Revents&unix.POLLPRI != 0 {
			lvl = Critical
		}
		s.send(lvl)
	}
}

// send hands lvl to the monitor, replacing an unread lower finding.
func (s *psiSource) send(lvl Level) {
	for {
		select {
		case s.events <- lvl:
			return
		default:
		}
		select {
		case old := <-s.events:
			lvl = max(lvl, old)
		default:
		}
	}
}

// read fills p with the current averages.
func (s *psiSource) read(p *PSI) bool {
	n, err := s.avg.ReadAt(s.buf, 0)
	if n == 0 && err != nil {
		return false
	}
	*p = PSI{}
	return parsePSI(s.buf[:n], p)
}

// stop wakes the watcher; close releases the descriptors after it returned.
func (s *psiSource) stop() {
	s.once.Do(func() {
		if s.wakeW >= 0 {
			unix.Write(s.wakeW, []byte{0})
		}
	})
}

func (s *psiSource) close() {
	for _, fd := range []int{s.some, s.full, s.wakeR, s.wakeW} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
	s.avg.Close()
}
