package sysmem

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDetect(t *testing.T) {
	meminfo := "MemTotal:       24000000 kB\nMemFree:         1000000 kB\nMemAvailable:    8000000 kB\n"
	tests := []struct {
		name  string
		files map[string]string
		want  Limit
		ok    bool
	}{
		{"cgroup v2 limit", map[string]string{
			"proc/self/cgroup":                            "0::/user.slice/job\n",
			"sys/fs/cgroup/user.slice/job/memory.max":     "1073741824\n",
			"sys/fs/cgroup/user.slice/job/memory.current": "209715200\n",
			"sys/fs/cgroup/user.slice/job/memory.stat":    "anon 104857600\ninactive_file 104857600\nactive_file 0\n",
			"proc/meminfo":                                meminfo,
		}, Limit{Bytes: 1 << 30, Source: SourceCgroup2, Used: 100 << 20}, true},
		{"cgroup v2 limit on a parent", map[string]string{
			"proc/self/cgroup":             "0::/a/b\n",
			"sys/fs/cgroup/a/b/memory.max": "max\n",
			"sys/fs/cgroup/a/memory.max":   "536870912\n",
			"proc/meminfo":                 meminfo,
		}, Limit{Bytes: 512 << 20, Source: SourceCgroup2}, true},
		{"cgroup v2 without limit", map[string]string{
			"proc/self/cgroup":           "0::/a\n",
			"sys/fs/cgroup/a/memory.max": "max\n",
			"proc/meminfo":               meminfo,
		}, Limit{Bytes: 8000000 * 1024, Source: SourceAvailable}, true},
		{"cgroup v1 limit", map[string]string{
			"proc/self/cgroup": "4:memory:/docker/x\n3:cpu,cpuacct:/docker/x\n",
			"sys/fs/cgroup/memory/docker/x/memory.limit_in_bytes": "2147483648\n",
			"sys/fs/cgroup/memory/docker/x/memory.usage_in_bytes": "0\n",
			"proc/meminfo": meminfo,
		}, Limit{Bytes: 2 << 30, Source: SourceCgroup1}, true},
		{"cgroup v1 unlimited", map[string]string{
			"proc/self/cgroup":                           "4:memory:/\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
			"proc/meminfo":                               meminfo,
		}, Limit{Bytes: 8000000 * 1024, Source: SourceAvailable}, true},
		{"nothing", map[string]string{}, Limit{}, false},
	}
	for _, tt := range tests {
		root := t.TempDir()
		for name, body := range tt.files {
			p := filepath.Join(root, name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, ok := Detect(root)
		if ok != tt.ok || got != tt.want {
			t.Errorf("%s: Detect = %+v, %v; want %+v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
	if l, ok := Current(); ok && l.Bytes <= 0 {
		t.Errorf("Current() = %+v", l)
	}
}
