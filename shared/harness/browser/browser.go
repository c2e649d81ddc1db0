// Package browser runs headless Chromium (Debian's chromium package) for tests and benchmarks
// of the HTML report, driven with chromedp over the DevTools protocol: a fresh profile per
// browser, no network services of its own (no sync, component updates, background networking
// or QUIC), and a record of every request a page makes.
package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sync"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// ErrNotInstalled is returned by Find when no Chromium binary is found.
var ErrNotInstalled = errors.New("chromium not found ($CHROMIUM, /usr/bin/chromium or chromium on PATH)")

// InstallHint says how to install what Find looks for (.ci/run does it on CI).
const InstallHint = "install it with: apt-get update && apt-get install -y chromium (Debian), or set CHROMIUM to a Chromium binary"

// Flags are the command-line flags every browser gets (plus --user-data-dir, a fresh directory).
var Flags = []string{"headless", "no-sandbox", "disable-gpu", "disable-quic", "no-first-run",
	"disable-background-networking", "disable-component-update", "disable-sync"}

// Find returns the Chromium binary: $CHROMIUM, /usr/bin/chromium, then chromium or
// chromium-browser on PATH.
func Find() (string, error) {
	if p := os.Getenv("CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("CHROMIUM=%s: %w", p, err)
		}
		return p, nil
	}
	if fi, err := os.Stat("/usr/bin/chromium"); err == nil && !fi.IsDir() {
		return "/usr/bin/chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNotInstalled
}

// Browser is one running Chromium.
type Browser struct {
	ctx         context.Context // the browser's first tab
	stopAlloc   context.CancelFunc
	stopBrowser context.CancelFunc
	dataDir     string
	once        sync.Once
}

// Start launches Chromium (path from Find) with Flags and a fresh profile directory.
func Start(ctx context.Context, path string) (*Browser, error) {
	dir, err := os.MkdirTemp("", "sidguard-chromium-")
	if err != nil {
		return nil, fmt.Errorf("start chromium: %w", err)
	}
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(path), chromedp.UserDataDir(dir),
		chromedp.WindowSize(1280, 900)}
	for _, f := range Flags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	actx, stopAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, stopBrowser := chromedp.NewContext(actx)
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		stopBrowser()
		stopAlloc()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start chromium %s: %w", path, err)
	}
	return &Browser{ctx: bctx, stopAlloc: stopAlloc, stopBrowser: stopBrowser, dataDir: dir}, nil
}

// Close stops the browser and removes its profile. Safe to call twice.
func (b *Browser) Close() error {
	var err error
	b.once.Do(func() {
		b.stopBrowser()
		b.stopAlloc() // waits for the process to exit
		err = os.RemoveAll(b.dataDir)
	})
	return err
}

// Tab opens a new tab; cancel closes it.
func (b *Browser) Tab() (context.Context, context.CancelFunc) {
	return chromedp.NewContext(b.ctx)
}

// Requests records the URL of every request a tab makes, from the moment Record is called.
type Requests struct {
	mu   sync.Mutex
	urls []string
}

// Record listens to the tab's network events (chromedp enables the Network domain when it
// attaches to a tab). Call it before navigating.
func Record(tab context.Context) (*Requests, error) {
	r := &Requests{}
	err := chromedp.Listen(tab, func(ev any) {
		var url string
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			url = e.Request.URL
		case network.EventRequestWillBeSent:
			url = e.Request.URL
		default:
			return
		}
		r.mu.Lock()
		r.urls = append(r.urls, url)
		r.mu.Unlock()
	})
	if err != nil {
		return nil, fmt.Errorf("listen to network events: %w", err)
	}
	return r, nil
}

// URLs returns the URLs requested so far, in order.
func (r *Requests) URLs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.urls)
}
