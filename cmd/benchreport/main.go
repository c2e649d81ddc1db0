// Command benchreport measures the HTML report on a synthetic organization (500 accounts of
// 200 roles by default): the time to decode, summarise and render it in Go, the file's size,
// and the time headless Chromium takes to load and lay it out. It prints figures; it asserts
// nothing (the goals are < 2 s in the browser and < 5 MB).
//
//	go run ./cmd/benchreport [-accounts 500] [-roles 200] [-readiness 10] [-runs 3] [-mix mid,open] [-keep DIR]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/browser"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/syntheticorg"
	"github.com/source-identity-guard/source-identity-guard/shared/htmlreport"
)

func main() {
	accounts := flag.Int("accounts", 500, "accounts in the organization")
	roles := flag.Int("roles", 200, "roles per account")
	readiness := flag.Int("readiness", 10, "readiness records per account")
	runs := flag.Int("runs", 3, "browser loads per report (a fresh tab each)")
	mixes := flag.String("mix", "mid,open", "comma-separated mixes: mid (halfway from audit to require), open (first audit: every role not exempt open)")
	keep := flag.String("keep", "", "keep the inputs and reports in `DIR` (default: a temporary directory, removed)")
	shot := flag.String("screenshot", "", "instead: take a 1200x1100 screenshot of the report `HTML` file (e.g. make demo's) and write it to -o")
	shotOut := flag.String("o", "report.png", "the screenshot's `PNG` file")
	measureOnly := flag.String("measure", "", "instead: measure the browser's load of this report `HTML` file -runs times")
	flag.Parse()
	if *measureOnly != "" {
		if err := measureFile(*measureOnly, *runs); err != nil {
			fmt.Fprintf(os.Stderr, "benchreport: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if *shot != "" {
		if err := screenshot(*shot, *shotOut); err != nil {
			fmt.Fprintf(os.Stderr, "benchreport: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*accounts, *roles, *readiness, *runs, strings.Split(*mixes, ","), *keep); err != nil {
		fmt.Fprintf(os.Stderr, "benchreport: %v\n", err)
		os.Exit(1)
	}
}

func run(accounts, roles, readiness, runs int, mixes []string, keep string) error {
	dir := keep
	if dir == "" {
		d, err := os.MkdirTemp("", "benchreport-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	path, err := browser.Find()
	if err != nil {
		return fmt.Errorf("%w; %s", err, browser.InstallHint)
	}
	b, err := browser.Start(context.Background(), path)
	if err != nil {
		return err
	}
	defer b.Close()

	fmt.Printf("HTML report benchmark: %d accounts x %d roles, %d readiness records per account; %d browser loads each (%s)\n\n",
		accounts, roles, readiness, runs, path)
	largest := 0
	fmt.Printf("%-5s %8s %8s %10s %9s %9s %9s %9s  %s\n", "mix", "roles", "open", "size", "go ms", "load ms", "layout ms", "cpu ms", "browser runs (load ms)")
	for _, m := range mixes {
		mix, ok := map[string]syntheticorg.Mix{"mid": syntheticorg.MidRollout, "open": syntheticorg.AllOpen}[m]
		if !ok {
			return fmt.Errorf("unknown mix %q: want mid or open", m)
		}
		scanPath, readyPath := filepath.Join(dir, m+"-scan.jsonl"), filepath.Join(dir, m+"-readiness.jsonl")
		if err := writeInputs(syntheticorg.Spec{Accounts: accounts, RolesPerAccount: roles, Mix: mix, ReadinessPerAccount: readiness, Seed: 1},
			scanPath, readyPath); err != nil {
			return err
		}
		start := time.Now()
		rep, page, err := render(scanPath, readyPath)
		if err != nil {
			return err
		}
		goMS := time.Since(start).Milliseconds()
		largest = max(largest, len(page))
		out := filepath.Join(dir, m+"-report.html")
		if err := os.WriteFile(out, page, 0o644); err != nil {
			return err
		}
		var loads, layouts, cpus []float64
		for i := 0; i < runs; i++ {
			load, layout, cpu, err := measure(b, out)
			if err != nil {
				return err
			}
			loads, layouts, cpus = append(loads, load), append(layouts, layout), append(cpus, cpu)
		}
		fmt.Printf("%-5s %8d %8d %7.2f MB %9d %9.0f %9.0f %9.0f  %s\n", m, rep.Total.Judged+rep.Total.Skipped, rep.Total.Open,
			float64(len(page))/1e6, goMS, median(loads), median(layouts), median(cpus), fmtRuns(loads))
	}
	// The floor on this machine: a page of plain paragraphs as large as the largest report.
	var plain strings.Builder
	plain.WriteString("<!DOCTYPE html><html lang=\"en\"><meta charset=\"utf-8\"><title>plain</title>\n")
	for i := 0; plain.Len() < largest; i++ {
		fmt.Fprintf(&plain, "<p>line %d lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod</p>\n", i)
	}
	plainPath := filepath.Join(dir, "plain.html")
	if err := os.WriteFile(plainPath, []byte(plain.String()), 0o644); err != nil {
		return err
	}
	var loads, layouts, cpus []float64
	for i := 0; i < runs; i++ {
		load, layout, cpu, err := measure(b, plainPath)
		if err != nil {
			return err
		}
		loads, layouts, cpus = append(loads, load), append(layouts, layout), append(cpus, cpu)
	}
	fmt.Printf("%-5s %8s %8s %7.2f MB %9s %9.0f %9.0f %9.0f  %s\n", "plain", "-", "-", float64(plain.Len())/1e6, "-",
		median(loads), median(layouts), median(cpus), fmtRuns(loads))
	fmt.Println("\nplain: a page of <p> lines as large as the largest report, no CSS: what this machine's Chromium needs for that many bytes.")
	fmt.Println("size: bytes of the HTML file (MB = 10^6 bytes). go ms: decode + summarise + render in Go.")
	fmt.Println("load ms: navigation start to the end of the load event (PerformanceNavigationTiming.loadEventEnd), median.")
	fmt.Println("layout ms: load plus the time a forced layout of the whole page takes after it (document.body.scrollHeight), median.")
	fmt.Println("cpu ms: the renderer main thread's CPU time for the tab (Performance.getMetrics TaskDuration, threadTicks), median:")
	fmt.Println("        parsing, style, layout and paint, without the waiting a busy machine adds to load ms.")
	if keep != "" {
		fmt.Printf("inputs and reports kept in %s\n", dir)
	}
	return nil
}

func writeInputs(spec syntheticorg.Spec, scanPath, readyPath string) error {
	var scan, ready bytes.Buffer
	if _, _, err := syntheticorg.Write(spec, &scan, &ready); err != nil {
		return err
	}
	if err := os.WriteFile(scanPath, scan.Bytes(), 0o644); err != nil {
		return err
	}
	return os.WriteFile(readyPath, ready.Bytes(), 0o644)
}

// render does what `sidguard report` does, in memory.
func render(paths ...string) (*htmlreport.Report, []byte, error) {
	var ins []htmlreport.Input
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, nil, err
		}
		in, err := htmlreport.Decode(p, f)
		f.Close()
		if err != nil {
			return nil, nil, err
		}
		ins = append(ins, in)
	}
	rep := htmlreport.Build(ins, htmlreport.Options{Generated: time.Now(), Generator: "benchreport"})
	var b bytes.Buffer
	if err := htmlreport.Render(&b, rep); err != nil {
		return nil, nil, err
	}
	return rep, b.Bytes(), nil
}

// measure loads the page in a fresh tab and returns the load time, the load time plus a forced
// layout of the whole page (milliseconds from navigation start) and the main thread's CPU time.
func measure(b *browser.Browser, path string) (load, layout, cpu float64, err error) {
	tab, cancel := b.Tab()
	defer cancel()
	ctx, stop := context.WithTimeout(tab, 2*time.Minute)
	defer stop()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		return 0, 0, 0, err
	}
	if _, err := chromedp.Call(ctx, performance.Enable, performance.EnableParams{TimeDomain: performance.EnableTimeDomainThreadTicks}); err != nil {
		return 0, 0, 0, err
	}
	before, err := taskSeconds(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	u := (&url.URL{Scheme: "file", Path: path}).String()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		return 0, 0, 0, fmt.Errorf("load %s: %w", path, err)
	}
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
		const nav = performance.getEntriesByType("navigation")[0];
		const t0 = performance.now();
		const h = document.body.scrollHeight; // forces style and layout of the whole page, if not done yet
		return [nav.loadEventEnd, performance.now() - t0, h];
	})()`))
	if err != nil {
		return 0, 0, 0, err
	}
	after, err := taskSeconds(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	return v[0], v[0] + v[1], 1000 * (after - before), nil
}

func taskSeconds(ctx context.Context) (float64, error) {
	res, err := chromedp.Call(ctx, performance.GetMetrics, cdp.Empty{})
	if err != nil {
		return 0, err
	}
	for _, m := range res.Metrics {
		if m.Name == "TaskDuration" {
			return m.Value, nil
		}
	}
	return 0, fmt.Errorf("Performance.getMetrics has no TaskDuration")
}

func measureFile(page string, runs int) error {
	path, err := browser.Find()
	if err != nil {
		return err
	}
	b, err := browser.Start(context.Background(), path)
	if err != nil {
		return err
	}
	defer b.Close()
	abs, err := filepath.Abs(page)
	if err != nil {
		return err
	}
	for i := 0; i < runs; i++ {
		load, layout, cpu, err := measure(b, abs)
		if err != nil {
			return err
		}
		fmt.Printf("%s: load %.0f ms, layout %.0f ms, cpu %.0f ms\n", page, load, layout, cpu)
	}
	return nil
}

// screenshot writes a PNG of the top of an HTML file as Chromium shows it.
func screenshot(page, out string) error {
	path, err := browser.Find()
	if err != nil {
		return fmt.Errorf("%w; %s", err, browser.InstallHint)
	}
	b, err := browser.Start(context.Background(), path)
	if err != nil {
		return err
	}
	defer b.Close()
	tab, cancel := b.Tab()
	defer cancel()
	abs, err := filepath.Abs(page)
	if err != nil {
		return err
	}
	if err := chromedp.Do(tab, chromedp.EmulateViewport(1200, 1100), chromedp.Navigate((&url.URL{Scheme: "file", Path: abs}).String())); err != nil {
		return err
	}
	png, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s\n", out)
	return nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func fmtRuns(xs []float64) string {
	var parts []string
	for _, x := range xs {
		parts = append(parts, fmt.Sprintf("%.0f", x))
	}
	return strings.Join(parts, " ")
}
