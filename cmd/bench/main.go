// Command bench measures the Enforce function the way it runs in Lambda, on this machine: the
// real bootstrap under the AWS Lambda Runtime Interface Emulator against moto_server, both on
// 127.0.0.1. It prints cold start (the emulator's INIT REPORT), first-invoke and warm latencies
// (client wall time, medians), the function process's peak RSS (VmHWM), the size of the stripped
// arm64 bootstrap `sam build` deploys, and the AWS calls each event costs (counted by a proxy
// between the function and moto), next to the Python + boto3 reference figures the project set as targets and, when
// -python is set, a minimal Python + boto3 function measured here under the same emulator.
//
//	make bench           # or: go run ./cmd/bench [-n 30] [-cold 20] [-python=false]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	var opts options
	flag.IntVar(&opts.warm, "n", 30, "warm invokes per kind (read-only, patch)")
	flag.IntVar(&opts.cold, "cold", 20, "cold starts per kind (read-only, patch)")
	flag.BoolVar(&opts.python, "python", true, "also measure the minimal Python + boto3 function (needs python3 with boto3)")
	flag.Parse()
	if opts.warm < 1 || opts.cold < 1 {
		fmt.Fprintln(os.Stderr, "bench: -n and -cold must be at least 1")
		os.Exit(2)
	}

	opts.loadBefore = loadAverage()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout, opts); err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "bench: interrupted; everything it started is stopped")
			os.Exit(130)
		}
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

type options struct {
	warm, cold int
	python     bool
	loadBefore string
}
