package browser_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/browser"
)

func TestFindHonoursCHROMIUM(t *testing.T) {
	t.Setenv("CHROMIUM", filepath.Join(t.TempDir(), "no-such-chromium"))
	if _, err := browser.Find(); err == nil || !strings.Contains(err.Error(), "no-such-chromium") {
		t.Errorf("Find with a missing $CHROMIUM = %v; want an error naming it", err)
	}
}

// A page that loads an image from the network: Record sees the request (so a test that finds no
// foreign request can trust the listener), and Close removes the profile.
func TestRecordSeesRequests(t *testing.T) {
	b := browser.Require(t)
	page := filepath.Join(t.TempDir(), "p.html")
	os.WriteFile(page, []byte(`<!DOCTYPE html><title>x</title><img src="http://127.0.0.1:9/pixel.png" alt="">`), 0o644)
	tab, cancel := b.Tab()
	defer cancel()
	ctx, stop := context.WithTimeout(tab, 30*time.Second)
	defer stop()
	reqs, err := browser.Record(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u := (&url.URL{Scheme: "file", Path: page}).String()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		t.Fatal(err)
	}
	got := reqs.URLs()
	if len(got) < 2 || got[0] != u || !strings.Contains(strings.Join(got, " "), "http://127.0.0.1:9/pixel.png") {
		t.Errorf("recorded %q; want the page, then the image", got)
	}
}
