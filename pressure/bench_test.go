package pressure

import (
	"testing"
	"time"
)

// BenchmarkPoll measures one poll of the sources, as the monitor's loop does
// it once per interval: source=runtime reads runtime/metrics only; cgroup adds
// five cgroup v2 files (regular files in a temp dir here); psi adds the
// machine's real memory.pressure averages when PSI is available.
func BenchmarkPoll(b *testing.B) {
	dir := b.TempDir()
	writeFiles(b, dir, map[string]string{
		"memory.current": "300\n", "memory.max": "1000\n", "memory.high": "max\n",
		"memory.events": events(2, 0, 0), "memory.stat": "anon 200\ninactive_file 100\nactive_file 0\n",
	})
	cases := []struct {
		name string
		o    Options
	}{
		{"source=runtime", Options{Disable: SourceCgroup | SourcePSI}},
		{"source=runtime+cgroup", Options{Disable: SourcePSI, CgroupDir: dir}},
		{"source=runtime+psi", Options{Disable: SourceCgroup}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			c.o.Interval = time.Hour // the loop stays idle; the benchmark polls
			m, err := NewMonitor(&c.o)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			b.ReportAllocs()
			for b.Loop() {
				m.poll(time.Now())
			}
		})
	}
}
