// Command benchreadiness measures `sidguard readiness` over generated CloudTrail log files:
// throughput (records a second, wall clock, the files already on disk) and the process's peak
// memory (maximum resident set size), for two record counts over the same roles and callers,
// so that memory growing with records rather than with roles × callers shows.
//
//	go run ./cmd/benchreadiness [-records 1000000] [-files 200] [-roles 200] [-callers 20] [-runs 3]
//
// It builds sidguard, writes the files into a temporary folder (removed afterwards unless
// -keep), runs `sidguard readiness --format json` on them and prints one line per run.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/trailgen"
)

func main() {
	records := flag.Int("records", 1_000_000, "records in the large set")
	small := flag.Int("small", 0, "records in the small set (0: records/5)")
	files := flag.Int("files", 200, "files per set")
	roles := flag.Int("roles", 200, "distinct roles")
	callers := flag.Int("callers", 20, "distinct callers per role")
	runs := flag.Int("runs", 3, "runs per set (the median is reported)")
	keep := flag.Bool("keep", false, "keep the generated files")
	flag.Parse()
	if *small == 0 {
		*small = *records / 5
	}
	if err := run(*records, *small, *files, *roles, *callers, *runs, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "benchreadiness:", err)
		os.Exit(1)
	}
}

func run(records, small, files, roles, callers, runs int, keep bool) error {
	dir, err := os.MkdirTemp("", "benchreadiness-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	bin := filepath.Join(dir, "sidguard")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/sidguard")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build sidguard: %w", err)
	}
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	fmt.Printf("benchreadiness: GOMAXPROCS %d, %s/%s, %d roles x %d callers, %d files per set\n",
		runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, roles, callers, files)
	for _, n := range []int{small, records} {
		set := filepath.Join(dir, fmt.Sprintf("set-%d", n))
		start := time.Now()
		raw, gz, err := trailgen.WriteTree(set, trailgen.Config{Records: n, Files: files, Roles: roles, Callers: callers, End: end, Seed: 42})
		if err != nil {
			return fmt.Errorf("generate: %w", err)
		}
		fmt.Printf("  generated %d records (%.0f MB JSON, %.0f MB gzip, %.0f bytes a record) in %s\n",
			n, float64(raw)/1e6, float64(gz)/1e6, float64(raw)/float64(n), time.Since(start).Round(time.Millisecond))
		var walls, cpus []time.Duration
		var rss []int64
		var lines int
		for range runs {
			wall, cpu, maxRSS, out, err := readiness(bin, set)
			if err != nil {
				return err
			}
			walls = append(walls, wall)
			cpus = append(cpus, cpu)
			rss = append(rss, maxRSS)
			lines = out
		}
		sort.Slice(cpus, func(i, j int) bool { return cpus[i] < cpus[j] })
		sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
		sort.Slice(rss, func(i, j int) bool { return rss[i] < rss[j] })
		med := walls[len(walls)/2]
		cpu := cpus[len(cpus)/2]
		fmt.Printf("  readiness over %d records: wall median %s (runs %v): %.0f records/s, %.0f MB/s of JSON; CPU (user+sys) median %s: %.0f records per CPU-second; peak RSS median %.1f MiB (max %.1f MiB); %d roles printed; load average %s\n",
			n, med.Round(time.Millisecond), roundAll(walls), float64(n)/med.Seconds(), float64(raw)/1e6/med.Seconds(),
			cpu.Round(time.Millisecond), float64(n)/cpu.Seconds(),
			float64(rss[len(rss)/2])/(1<<20), float64(rss[len(rss)-1])/(1<<20), lines, loadAverage())
		if !keep {
			os.RemoveAll(set)
		}
	}
	return nil
}

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

// loadAverage is the first three fields of /proc/loadavg ("" where there is none): the
// machine is shared, and a wall-clock figure means little without it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// readiness runs the command once and returns its wall time, its CPU time, its peak RSS in
// bytes and the number of JSON lines it printed.
func readiness(bin, dir string) (time.Duration, time.Duration, int64, int, error) {
	cmd := exec.CommandContext(context.Background(), bin, "readiness", "--format", "json", "--now", "2026-12-01T00:00:00Z", dir)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
		err = nil // some role is not ready: expected
	}
	if err != nil {
		return 0, 0, 0, 0, fmt.Errorf("sidguard readiness: %v\n%s", err, errOut.String())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, 0, 0, 0, fmt.Errorf("no rusage on this system")
	}
	lines := 0
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		lines++
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return wall, cpu, ru.Maxrss * 1024, lines, nil // Maxrss is in KiB on Linux
}
