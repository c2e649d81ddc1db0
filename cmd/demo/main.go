// Command demo runs the Enforce function end to end on this machine, with no AWS account:
// moto_server (the AWS emulator) and the AWS Lambda Runtime Interface Emulator on 127.0.0.1,
// the real bootstrap built from ./functions/enforce, a few roles, and the CloudTrail events
// their creation would produce. It prints each role's decision and the trust policy before and
// after, then stops everything it started (also on Ctrl-C).
//
//	make demo            # or: go run ./cmd/demo [-mode audit|allow|require] [-v]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	var opts options
	flag.StringVar(&opts.mode, "mode", "require", "the function's MODE: audit, allow or require")
	flag.BoolVar(&opts.verbose, "v", false, "also print the function's and the emulator's output")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout, opts); err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "demo: interrupted; everything it started is stopped")
			os.Exit(130)
		}
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(1)
	}
}

type options struct {
	mode    string
	verbose bool
	log     io.Writer // progress lines; nil means stderr
}
