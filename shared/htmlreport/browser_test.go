package htmlreport_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/browser"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/syntheticorg"
	"github.com/source-identity-guard/source-identity-guard/shared/htmlreport"
)

// screenshotPath is the README's picture, rewritten by -update.
const screenshotPath = "../../docs/img/report.png"

func writePage(t *testing.T, rep *htmlreport.Report) (path, fileURL string) {
	t.Helper()
	var b bytes.Buffer
	if err := htmlreport.Render(&b, rep); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, (&url.URL{Scheme: "file", Path: path}).String()
}

// cell texts of the accounts table as the browser renders them (innerText: what is shown).
const accountRowsJS = `[...document.querySelectorAll("table.accounts tbody tr")].map(tr => [...tr.cells].map(c => c.innerText.trim()))`

// The page in a real browser with scripts off: every account named with its roles judged and
// open, the headline figures, nothing fetched but the file itself, no horizontal scrolling on
// a phone, charts with text alternatives, and it prints.
func TestInBrowser(t *testing.T) {
	rep := fixtureReport(t, "scan-org.jsonl", "scan-single.jsonl", "readiness.jsonl")
	_, fileURL := writePage(t, rep)
	b := browser.Require(t)
	tab, cancel := b.Tab()
	defer cancel()
	ctx, stop := context.WithTimeout(tab, time.Minute)
	defer stop()
	reqs, err := browser.Record(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("disable scripts: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(fileURL)); err != nil {
		t.Fatalf("open %s: %v", fileURL, err)
	}

	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](accountRowsJS))
	if err != nil {
		t.Fatalf("read the accounts table: %v", err)
	}
	if len(rows) != len(rep.Accounts) {
		t.Fatalf("the page shows %d account rows; want %d: %q", len(rows), len(rep.Accounts), rows)
	}
	for i, a := range rep.Accounts {
		// Account, Roles judged, Open: the first three columns, as text.
		want := []string{a.Label, strconv.Itoa(a.Judged), strconv.Itoa(a.Open)}
		if got := rows[i][:3]; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("account row %d shows %q; want %q", i, got, want)
		}
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Roles judged\n13", "Require a source identity\n30.8%", "Allow one, not shown to require it\n7.7%", "Open\n7",
		"this account (unknown id)", "/ops <admin> & co", "Callers that block the others", "What the finding codes mean",
		"arn:aws:iam::444455556666:role/ci-runner", "2026-11-30T17:42:10Z",
		"Made 2026-12-01 08:30:00 UTC",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("rendered text lacks %q:\n%s", want, text)
		}
	}
	// Each chart has a text alternative the accessibility tree can read.
	alts, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('svg[role="img"]')].map(s =>
		(s.getAttribute("aria-labelledby")||"").split(" ").map(id => (document.getElementById(id)||{}).textContent||"").join(" ").trim())`))
	if err != nil || len(alts) == 0 {
		t.Fatalf("charts: %q, %v", alts, err)
	}
	for _, alt := range alts {
		if !strings.Contains(alt, "Require: 4 (30.8%)") {
			t.Errorf("chart text alternative %q does not give the figures", alt)
		}
	}

	// A phone: the page reflows; wide tables scroll inside their region, not the page.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	over, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
	if err != nil {
		t.Fatal(err)
	}
	if over[0] > over[1] {
		t.Errorf("on a 390 px phone the page is %d px wide: it scrolls sideways", over[0])
	}
	phone, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	saveArtifact(t, "report-phone.png", phone)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}

	full, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveArtifact(t, "report-full.png", full)

	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF())
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Errorf("print to PDF: %d bytes, %v", len(pdf), err)
	}

	for _, u := range reqs.URLs() {
		if u != fileURL && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page fetched %s", u)
		}
	}
	if len(reqs.URLs()) == 0 {
		t.Error("no request recorded at all: the network listener saw nothing (not even the file)")
	}
}

// The README's screenshot: the top of a report of a synthetic organization of 12 accounts.
// -update rewrites docs/img/report.png; otherwise it goes to the test's temporary output.
func TestScreenshot(t *testing.T) {
	var scan, ready bytes.Buffer
	if _, _, err := syntheticorg.Write(syntheticorg.Spec{Accounts: 12, RolesPerAccount: 60, Mix: syntheticorg.MidRollout,
		ReadinessPerAccount: 4, Seed: 7}, &scan, &ready); err != nil {
		t.Fatal(err)
	}
	si, err := htmlreport.Decode("org-scan.jsonl", &scan)
	if err != nil {
		t.Fatal(err)
	}
	ri, err := htmlreport.Decode("org-readiness.jsonl", &ready)
	if err != nil {
		t.Fatal(err)
	}
	rep := htmlreport.Build([]htmlreport.Input{si, ri}, htmlreport.Options{Title: "Example Org: source identity compliance",
		Generated: generated, Generator: "sidguard v0.1.0"})
	_, fileURL := writePage(t, rep)
	b := browser.Require(t)
	tab, cancel := b.Tab()
	defer cancel()
	ctx, stop := context.WithTimeout(tab, time.Minute)
	defer stop()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1200, 1100), chromedp.Navigate(fileURL)); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(screenshotPath, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	saveArtifact(t, "report.png", png)
}

// saveArtifact writes a screenshot for people to look at and logs where.
func saveArtifact(t *testing.T, name string, data []byte) {
	t.Helper()
	dir := os.Getenv("SIDGUARD_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "sidguard-report-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}
