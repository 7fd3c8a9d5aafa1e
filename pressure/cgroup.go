package pressure

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// CgroupReading is what the cgroup v2 memory controller reported at one poll.
type CgroupReading struct {
	Dir          string // the cgroup's directory
	Current      int64  // memory.current
	InactiveFile int64  // inactive_file from memory.stat: page cache the kernel drops first
	High         int64  // memory.high; 0 when "max" (no throttling point)
	Max          int64  // memory.max; 0 when "max" (no limit)
	HighEvents   uint64 // memory.events "high": times usage crossed memory.high
	MaxEvents    uint64 // memory.events "max" + "oom" + "oom_kill"
}

// cgroupSource reads the cgroup v2 memory files of one cgroup. The files stay
// open and are re-read with pread at every poll, so a container resize is
// followed and a poll does not allocate.
type cgroupSource struct {
	dir                              string
	current, high, max, events, stat *os.File
	buf                              []byte

	prev CgroupReading // the previous poll, for event deltas
}

// openCgroup opens the memory files in dir. memory.current and memory.max must
// exist; memory.high, memory.events and memory.stat are optional.
func openCgroup(dir string) (*cgroupSource, error) {
	s := &cgroupSource{dir: dir, buf: make([]byte, 8192)}
	var err error
	if s.current, err = os.Open(filepath.Join(dir, "memory.current")); err != nil {
		return nil, err
	}
	if s.max, err = os.Open(filepath.Join(dir, "memory.max")); err != nil {
		s.close()
		return nil, err
	}
	s.high, _ = os.Open(filepath.Join(dir, "memory.high"))
	s.events, _ = os.Open(filepath.Join(dir, "memory.events"))
	s.stat, _ = os.Open(filepath.Join(dir, "memory.stat"))
	var first CgroupReading
	if err := s.read(&first); err != nil {
		s.close()
		return nil, err
	}
	s.prev = first // events before the monitor started are not news
	return s, nil
}

func (s *cgroupSource) close() {
	for _, f := range []*os.File{s.current, s.high, s.max, s.events, s.stat} {
		if f != nil {
			f.Close()
		}
	}
}

// poll reads the cgroup into c and reports the level its events imply since
// the previous poll: High for new memory.high events, Critical for new
// memory.max, oom or oom_kill events.
func (s *cgroupSource) poll(c *CgroupReading) (Level, error) {
	if err := s.read(c); err != nil {
		return Normal, err
	}
	lvl := Normal
	if c.HighEvents > s.prev.HighEvents {
		lvl = High
	}
	if c.MaxEvents > s.prev.MaxEvents {
		lvl = Critical
	}
	s.prev = *c
	return lvl, nil
}

// ratio is the cgroup's usage against its tightest bound, not counting
// inactive page cache; 0 when the cgroup is unbounded.
func (c *CgroupReading) ratio() float64 {
	bound := c.Max
	if c.High > 0 && (bound == 0 || c.High < bound) {
		bound = c.High
	}
	if bound <= 0 {
		return 0
	}
	return float64(max(c.Current-c.InactiveFile, 0)) / float64(bound)
}

func (s *cgroupSource) read(c *CgroupReading) error {
	*c = CgroupReading{Dir: s.dir}
	var err error
	if c.Current, err = s.readInt(s.current); err != nil {
		return fmt.Errorf("pressure: %s/memory.current: %w", s.dir, err)
	}
	if c.Max, err = s.readInt(s.max); err != nil {
		return fmt.Errorf("pressure: %s/memory.max: %w", s.dir, err)
	}
	if s.high != nil {
		c.High, _ = s.readInt(s.high)
	}
	if s.events != nil {
		s.readKeys(s.events, func(k []byte, v int64) {
			switch string(k) {
			case "high":
				c.HighEvents += uint64(v)
			case "max", "oom", "oom_kill":
				c.MaxEvents += uint64(v)
			}
		})
	}
	if s.stat != nil {
		s.readKeys(s.stat, func(k []byte, v int64) {
			if string(k) == "inactive_file" {
				c.InactiveFile = v
			}
		})
	}
	return nil
}

// readAll re-reads f from offset 0 into s.buf.
func (s *cgroupSource) readAll(f *os.File) ([]byte, error) {
	n, err := f.ReadAt(s.buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return s.buf[:n], nil
}

// readInt parses a single-value cgroup file; "max" reads as 0 (unbounded).
func (s *cgroupSource) readInt(f *os.File) (int64, error) {
	b, err := s.readAll(f)
	if err != nil {
		return 0, err
	}
	b = bytes.TrimSpace(b)
	if string(b) == "max" {
		return 0, nil
	}
	v, ok := parseInt(b)
	if !ok {
		return 0, fmt.Errorf("not a number: %q", b)
	}
	return v, nil
}

// readKeys calls fn for each "key value" line of a flat-keyed cgroup file.
func (s *cgroupSource) readKeys(f *os.File, fn func([]byte, int64)) {
	b, err := s.readAll(f)
	if err != nil {
		return
	}
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		k, v, ok := bytes.Cut(line, []byte{' '})
		if !ok {
			continue
		}
		if n, ok := parseInt(v); ok {
			fn(k, n)
		}
	}
}

// findCgroupDir returns the cgroup v2 directory of this process: the path
// in /proc/self/cgroup's "0::/path" line, found under the cgroup2 mount in
// mountinfo that reaches it (/sys/fs/cgroup on a pure v2 system, often
// /sys/fs/cgroup/unified on a hybrid one).
func findCgroupDir(procSelfCgroup, mountinfo string) (string, error) {
	b, err := os.ReadFile(procSelfCgroup)
	if err != nil {
		return "", err
	}
	var rel string
	found := false
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "0::"); ok {
			rel, found = rest, true
		}
	}
	if !found {
		return "", errors.New("no cgroup v2 entry in " + procSelfCgroup)
	}
	if !strings.HasPrefix(rel, "/") {
		return "", fmt.Errorf("cgroup v2 path %q in %s is not absolute", rel, procSelfCgroup)
	}
	dir, err := cgroup2Dir(mountinfo, rel)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "memory.current")); err != nil {
		return "", fmt.Errorf("cgroup v2 %s has no memory controller: %w", dir, err)
	}
	return dir, nil
}

// cgroup2Dir returns the directory of cgroup cg (a path as
// /proc/self/cgroup shows it) in the first cgroup2 file system of a
// mountinfo file that reaches it: the mount point plus cg below the mount's
// root. The root is "/" for a mount of the whole hierarchy and the subtree
// for a bind mount of one (a container's own cgroup, mounted at
// /sys/fs/cgroup without a cgroup namespace), which reaches only the
// cgroups under it, as the Go runtime reads it (internal/runtime/cgroup).
// Fields: "id parent major:minor root mountpoint opts... - fstype source superopts".
//
// Both cg and the roots are relative to this process's cgroup namespace
// root, and start with a ".." for each level above it when they lie
// outside the namespace ("/../sibling": the process was moved out of the
// namespace's cgroup). Such a path is not cleaned: "/../sibling" is not
// "/sibling". A mount of the namespace's own hierarchy (root "/") shows only
// what is under the namespace root, which neither is nor contains such a
// cgroup or any of its ancestors; then no cgroup2 file system reaches it
// and there is no cgroup signal.
func cgroup2Dir(mountinfo, cg string) (string, error) {
	f, err := os.Open(mountinfo)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields := strings.Fields(pre)
		if !ok || !strings.HasPrefix(post, "cgroup2 ") || len(fields) < 5 {
			continue
		}
		if below, ok := belowRoot(cg, fields[3]); ok {
			return filepath.Join(fields[4], below), nil
		}
	}
	if hasDotDot(cg) {
		return "", fmt.Errorf("cgroup %s is outside this process's cgroup namespace, and no cgroup2 file system in %s reaches it", cg, mountinfo)
	}
	return "", fmt.Errorf("no cgroup2 file system in %s reaches cgroup %s", mountinfo, cg)
}

// belowRoot returns the part of cgroup path cg below root, and false when
// root is not cg or one of its ancestors: when root is not a prefix of cg's
// components, or what follows it goes up ("..": above the mount's root).
func belowRoot(cg, root string) (string, bool) {
	rest := cg
	if root != "/" {
		var ok bool
		rest, ok = strings.CutPrefix(cg, root)
		if !ok || (rest != "" && rest[0] != '/') {
			return "", false
		}
	}
	if hasDotDot(rest) {
		return "", false
	}
	return rest, true
}

// hasDotDot reports whether path has a ".." component.
func hasDotDot(path string) bool {
	for _, c := range strings.Split(path, "/") {
		if c == ".." {
			return true
		}
	}
	return false
}

// parseInt parses a non-negative decimal without allocating (strconv's error
// values keep the input, which makes every call allocate).
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}
