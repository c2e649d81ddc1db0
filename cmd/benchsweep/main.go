// Command benchsweep measures the Sweep function on a synthetic estate in moto_server, the way
// it runs in Lambda: the real bootstrap under the Lambda Runtime Interface Emulator, both on
// 127.0.0.1, SWEEP_MODE=require. For each estate size it prints the wall time of the sweep, the
// AWS calls by operation (counted inside the function) against the design targets, the function
// process's peak RSS, and the wall time of a baseline client that makes the same calls to moto
// with no logic at all, i.e. what moto needs to answer those calls alone.
//
//	make bench-sweep     # or: go run ./cmd/benchsweep [-n 1000,5000] [-concurrency 4]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	var o options
	sizes := flag.String("n", "1000,5000", "estate sizes (roles), comma-separated")
	flag.IntVar(&o.concurrency, "concurrency", 4, "SWEEP_CONCURRENCY, and the baseline's per-role concurrency")
	flag.IntVar(&o.createConcurrency, "create-concurrency", 16, "CreateRole calls in flight while building the estate")
	flag.Parse()
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "benchsweep: -n: %q is not a positive number\n", s)
			os.Exit(2)
		}
		o.sizes = append(o.sizes, n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout, o); err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "benchsweep: interrupted; everything it started is stopped")
			os.Exit(130)
		}
		fmt.Fprintf(os.Stderr, "benchsweep: %v\n", err)
		os.Exit(1)
	}
}

type options struct {
	sizes             []int
	concurrency       int
	createConcurrency int
}
