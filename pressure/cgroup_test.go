package pressure

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindCgroupDir(t *testing.T) {
	root := t.TempDir()
	unified := filepath.Join(root, "unified")
	own := filepath.Join(unified, "system.slice", "app.service")
	if err := os.MkdirAll(own, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, own, map[string]string{"memory.current": "1\n"})
	writeFiles(t, root, map[string]string{
		"cgroup":    "4:memory:/x\n0::/system.slice/app.service\n",
		"cgroup-v1": "4:memory:/x\n",
		"mountinfo": "25 1 0:23 / /sys rw - sysfs sysfs rw\n" +
			"31 25 0:27 / " + unified + " rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate\n",
		"mountinfo-v1": "25 1 0:23 / /sys rw - sysfs sysfs rw\n",
	})
	tests := []struct {
		name, cgroup, mountinfo, want, wantErr string
	}{
		{"hybrid mount", "cgroup", "mountinfo", own, ""},
		{"v1 only", "cgroup-v1", "mountinfo", "", "no cgroup v2 entry"},
		{"no cgroup2 mount", "cgroup", "mountinfo-v1", "", "no cgroup2 file system"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFindCgroupDir(t, filepath.Join(root, tt.cgroup), filepath.Join(root, tt.mountinfo), tt.want, tt.wantErr)
		})
	}
}

// TestFindCgroupDirUnderMountRoot: when the cgroup2 file system is mounted
// from a subtree (a container runtime bind-mounting the container's own
// cgroup, without a cgroup namespace), mountinfo's root field names that
// subtree and /proc/self/cgroup still shows the full path; the cgroup's
// files are at the mount point plus the path below the root, as the Go
// runtime finds them (internal/runtime/cgroup). A mount whose root is not
// above the process's cgroup cannot reach it.
func TestFindCgroupDirUnderMountRoot(t *testing.T) {
	root := t.TempDir()
	mnt := filepath.Join(root, "cg")
	pod := filepath.Join(mnt, "ctr")
	if err := os.MkdirAll(pod, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, mnt, map[string]string{"memory.current": "1\n"})
	writeFiles(t, pod, map[string]string{"memory.current": "2\n"})
	mountinfo := func(fsRoot string) string {
		return "25 1 0:23 / /sys rw - sysfs sysfs rw\n" +
			"31 25 0:27 " + fsRoot + " " + mnt + " ro,nosuid - cgroup2 cgroup rw\n"
	}
	writeFiles(t, root, map[string]string{
		"cgroup":        "0::/kubepods/pod1/ctr\n",
		"mount-ctr":     mountinfo("/kubepods/pod1/ctr"),
		"mount-pod":     mountinfo("/kubepods/pod1"),
		"mount-sibling": mountinfo("/kubepods/pod2"),
	})
	tests := []struct {
		name, mountinfo, want, wantErr string
	}{
		{"mounted at the cgroup", "mount-ctr", mnt, ""},
		{"mounted at its parent", "mount-pod", pod, ""},
		{"mount of another subtree", "mount-sibling", "", "no cgroup2 file system"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFindCgroupDir(t, filepath.Join(root, "cgroup"), filepath.Join(root, tt.mountinfo), tt.want, tt.wantErr)
		})
	}
}

// checkFindCgroupDir fails t unless findCgroupDir of the files cgroup and
// mountinfo returns the directory want or, when wantErr is set, an error
// containing wantErr.
func checkFindCgroupDir(t *testing.T, cgroup, mountinfo, want, wantErr string) {
	t.Helper()
	got, err := findCgroupDir(cgroup, mountinfo)
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("findCgroupDir = %q, %v; want an error containing %q", got, err, wantErr)
		}
		return
	}
	if err != nil || got != want {
		t.Fatalf("findCgroupDir = %q, %v; want %q", got, err, want)
	}
}

// TestFindCgroupDirOutsideNamespace: when the process's cgroup lies outside
// the root of its cgroup namespace (it was moved out after the namespace
// was made), /proc/self/cgroup shows the path with a ".." for each level
// above that root ("0::/../sibling"), relative to the namespace root, and
// so does mountinfo's root field for a cgroup2 mount made outside the
// namespace. A mount of the namespace's own hierarchy (root "/") shows only
// the subtree under the namespace root, which neither contains the cgroup
// nor any of its ancestors, so there is no cgroup to read: the path must
// not be cleaned into "/sibling" (another cgroup, or the namespace root's
// for "/..") but reported as unreachable. A mount whose root is above the
// cgroup ("/..") reaches it.
func TestFindCgroupDirOutsideNamespace(t *testing.T) {
	root := t.TempDir()
	ns := filepath.Join(root, "ns")   // a cgroup2 mount of the namespace's hierarchy
	host := filepath.Join(root, "up") // a cgroup2 mount from the namespace root's parent
	for _, d := range []string{filepath.Join(ns, "sibling"), filepath.Join(host, "sibling")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		writeFiles(t, d, map[string]string{"memory.current": "1\n"})
	}
	writeFiles(t, ns, map[string]string{"memory.current": "2\n"})
	writeFiles(t, host, map[string]string{"memory.current": "3\n"})
	mount := func(fsRoot, at string) string {
		return "25 1 0:23 / /sys rw - sysfs sysfs rw\n" +
			"31 25 0:27 " + fsRoot + " " + at + " rw,nosuid - cgroup2 cgroup2 rw\n"
	}
	writeFiles(t, root, map[string]string{
		"cgroup-sibling": "0::/../sibling\n",
		"cgroup-parent":  "0::/..\n",
		"cgroup-deep":    "0::/../../a/b\n",
		"mount-ns":       mount("/", ns),
		"mount-up":       mount("/..", host),
	})
	tests := []struct {
		name, cgroup, mountinfo, want, wantErr string
	}{
		{"sibling of the namespace root", "cgroup-sibling", "mount-ns", "", "outside this process's cgroup namespace"},
		{"parent of the namespace root", "cgroup-parent", "mount-ns", "", "outside this process's cgroup namespace"},
		{"two levels up", "cgroup-deep", "mount-ns", "", "outside this process's cgroup namespace"},
		{"reached by a mount from above", "cgroup-sibling", "mount-up", filepath.Join(host, "sibling"), ""},
		{"mount from above, cgroup at its root", "cgroup-parent", "mount-up", host, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFindCgroupDir(t, filepath.Join(root, tt.cgroup), filepath.Join(root, tt.mountinfo), tt.want, tt.wantErr)
		})
	}
}

func TestParsePSI(t *testing.T) {
	in := "some avg10=1.25 avg60=0.50 avg300=0.07 total=123456\nfull avg10=0.40 avg60=0.00 avg300=0.00 total=789\n"
	var p PSI
	if !parsePSI([]byte(in), &p) {
		t.Fatal("parsePSI found nothing")
	}
	want := PSI{Some10: 1.25, Some60: 0.5, Some300: 0.07, Full10: 0.4, SomeTotal: 123456, FullTotal: 789}
	const eps = 1e-9
	near := func(a, b float64) bool { return a-b < eps && b-a < eps }
	if !near(p.Some10, want.Some10) || !near(p.Some60, want.Some60) || !near(p.Some300, want.Some300) ||
		!near(p.Full10, want.Full10) || p.SomeTotal != want.SomeTotal || p.FullTotal != want.FullTotal {
		t.Errorf("parsePSI = %+v, want %+v", p, want)
	}
	if parsePSI([]byte("garbage"), &p) {
		t.Error("parsePSI accepted garbage")
	}
}

func FuzzParsePSI(f *testing.F) {
	f.Add([]byte("some avg10=1.25 avg60=0.50 avg300=0.07 total=123456\nfull avg10=0.40 avg60=0.00 avg300=0.00 total=789\n"))
	f.Add([]byte("some avg10=.5 total=99999999999999999999"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p PSI
		parsePSI(b, &p)
		for _, v := range []float64{p.Some10, p.Some60, p.Some300, p.Full10, p.Full60, p.Full300} {
			if v < 0 || v != v {
				t.Fatalf("parsePSI(%q) produced %v", b, v)
			}
		}
	})
}

func TestParseInt(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "123": 123, "9223372036854775": 9223372036854775} {
		if got, ok := parseInt([]byte(in)); !ok || got != want {
			t.Errorf("parseInt(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "-1", "12a", "1234567890123456789"} {
		if _, ok := parseInt([]byte(in)); ok {
			t.Errorf("parseInt(%q) accepted it", in)
		}
	}
}

func TestRuntimeUsed(t *testing.T) {
	tests := []struct {
		name string
		s    runtimeStats
		want int64
	}{
		{"garbage and free pages do not count", runtimeStats{total: 2050, released: 1000, free: 500, objects: 300, unused: 50, live: 100}, 300},
		{"before the first GC only overhead", runtimeStats{total: 1000, released: 100, free: 100, objects: 600, unused: 0, live: 0}, 200},
		{"inconsistent samples never underflow", runtimeStats{total: 100, released: 200, live: 10}, 10},
	}
	for _, tt := range tests {
		if got := tt.s.used(); got != tt.want {
			t.Errorf("%s: used() = %d, want %d", tt.name, got, tt.want)
		}
	}
}
