package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/callcount"
)

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// ratio renders ours/theirs as "1/N" (or "N x" when ours is larger).
func ratio(ours, theirs float64) string {
	if ours <= 0 || theirs <= 0 {
		return "-"
	}
	if ours <= theirs {
		return fmt.Sprintf("1/%.1f", theirs/ours)
	}
	return fmt.Sprintf("%.2f x", ours/theirs)
}

func verdict(ok bool) string {
	if ok {
		return "MET"
	}
	return "MISSED"
}

func report(w io.Writer, opts options, ours figures, py *figures, pyNote string, arm64Size int64, arm64How string, floor []time.Duration) {
	fmt.Fprintf(w, "\nsource-identity-guard bench: Enforce function under aws-lambda-rie against moto_server (%s/%s, %d CPUs)\n",
		runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Fprintf(w, "medians of %d cold starts and %d warm invokes per kind; latencies are client wall time of the invoke request\n",
		opts.cold, opts.warm)
	fmt.Fprintf(w, "load average before/after: %s / %s (other processes on the machine skew every figure)\n\n", opts.loadBefore, loadAverage())

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := "METRIC\tGO BOOTSTRAP\tmin..max\tPYTHON REFERENCE\tRATIO\tTARGET\t"
	if py != nil {
		header += "PYTHON HERE\tRATIO TO IT\t"
	}
	fmt.Fprintln(tw, header)
	type row struct {
		name      string
		key       string
		ours, bl  time.Duration
		pyVal     time.Duration
		target    string
		ok        bool
		noBaseRow bool
	}
	rows := []row{
		{name: "init (INIT REPORT)", key: "init", ours: ours.init, bl: baseline.init, target: "<= 1/40 (" + ms(baseline.init/40) + ")", ok: ours.init*40 <= baseline.init},
		{name: "first invoke, read-only", key: "first", ours: ours.first, bl: baseline.first, target: "<= 1/10 (" + ms(baseline.first/10) + ")", ok: ours.first*10 <= baseline.first},
		{name: "first invoke, patch", key: "firstPatch", ours: ours.firstPatch, noBaseRow: true},
		{name: "warm invoke, read-only", key: "warmRead", ours: ours.warmRead, bl: baseline.warmRead, target: "faster", ok: ours.warmRead < baseline.warmRead},
		{name: "warm invoke, patch", key: "warmPatch", ours: ours.warmPatch, bl: baseline.warmPatch, target: "faster", ok: ours.warmPatch < baseline.warmPatch},
		{name: "  of which not AWS: read-only", key: "warmReadOwn", ours: ours.warmReadOwn, noBaseRow: true},
		{name: "  of which not AWS: patch", key: "warmPatchOwn", ours: ours.warmPatchOwn, noBaseRow: true},
	}
	for _, r := range rows {
		lo, hi := spread(ours.samples[r.key])
		line := fmt.Sprintf("%s\t%s\t%s..%s\t", r.name, ms(r.ours), ms(lo), ms(hi))
		if r.noBaseRow {
			line += "-\t-\t-\t"
		} else {
			line += fmt.Sprintf("%s\t%s\t%s %s\t", ms(r.bl), ratio(float64(r.ours), float64(r.bl)), r.target, verdict(r.ok))
		}
		if py != nil {
			pv := map[string]time.Duration{
				"init": py.init, "first": py.first, "firstPatch": py.firstPatch, "warmRead": py.warmRead,
				"warmPatch": py.warmPatch, "warmReadOwn": py.warmReadOwn, "warmPatchOwn": py.warmPatchOwn,
			}[r.key]
			line += fmt.Sprintf("%s\t%s\t", ms(pv), ratio(float64(r.ours), float64(pv)))
		}
		fmt.Fprintln(tw, line)
	}
	memOK := ours.peakRSS*2 <= baseline.peakRSS
	line := fmt.Sprintf("peak RSS (VmHWM)\t%s\t\t%s\t%s\t<= 1/2 (%s) %s\t", mib(ours.peakRSS), mib(baseline.peakRSS),
		ratio(float64(ours.peakRSS), float64(baseline.peakRSS)), mib(baseline.peakRSS/2), verdict(memOK))
	if py != nil {
		line += fmt.Sprintf("%s\t%s\t", mib(py.peakRSS), ratio(float64(ours.peakRSS), float64(py.peakRSS)))
	}
	fmt.Fprintln(tw, line)
	lo, hi := spread(floor)
	fmt.Fprintf(tw, "init floor: minimal Go handler\t%s\t%s..%s\t-\t-\tfor scale: process start + runtime, no SDK\t\n", ms(median(floor)), ms(lo), ms(hi))
	fmt.Fprintf(tw, "arm64 bootstrap, stripped\t%.2f MB (%d bytes)\t\t-\t-\t<= 10 MB %s\t\n", float64(arm64Size)/1e6, arm64Size, verdict(arm64Size <= maxArm64Size))
	tw.Flush()

	fmt.Fprintf(w, "\nAWS calls per event (counted between the function and moto, every event of the run):\n")
	minimal := callcount.Format(ours.readCalls) == "iam.GetRole=1" &&
		callcount.Format(ours.patchCalls) == "events.PutEvents=1 iam.GetRole=1 iam.UpdateAssumeRolePolicy=1" && !ours.callsVary
	fmt.Fprintf(w, "  compliant role:     %s\n", callcount.Format(ours.readCalls))
	fmt.Fprintf(w, "  non-compliant role: %s\n", callcount.Format(ours.patchCalls))
	if ours.callsVary {
		fmt.Fprintf(w, "  (some events cost other calls than these)\n")
	}
	fmt.Fprintf(w, "  minimum (GetRole; GetRole + UpdateAssumeRolePolicy + one PutEvents): %s\n", verdict(minimal))
	if py != nil {
		fmt.Fprintf(w, "  Python here:        %s / %s\n", callcount.Format(py.readCalls), callcount.Format(py.patchCalls))
	} else {
		fmt.Fprintf(w, "\nPython + boto3 side by side: %s\n", pyNote)
	}
	fmt.Fprintf(w, "\nbuilt with: %s (arm64 size); lambdaemu.Build (%s, same flags) for the emulator\n", arm64How, runtime.GOARCH)
	fmt.Fprintf(w, "moto's backends were warmed up before measuring; the function runs with MODE=require.\n")
	fmt.Fprintf(w, "\"of which not AWS\": the warm wall time minus the time the counting proxy spent waiting on moto (the\n"+
		"function's own work, the emulator's relay and the proxy's overhead).\n")
}

// loadAverage returns the 1, 5 and 15 minute load averages from /proc/loadavg.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
