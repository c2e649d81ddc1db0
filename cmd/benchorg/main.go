// Command benchorg measures the organization-wide guardrail (docs/organization.md):
//
//  1. Sweep: an organization of -accounts accounts of -roles roles each against one account of
//     -roles roles, both through the code the Sweep function runs (sweep.Job for one account,
//     orgsweep.Runner with accountroles for the organization). IAM is an in-process model with
//     fixed latencies per call, one per account, because IAM's rate limits are per account;
//     moto_server, a single Python process holding every account, cannot show that property
//     (it serves all accounts from one core). Goal: organization <= 2x one account.
//
//  2. AssumeRole: -events CreateRole events spread over the member accounts, through the real
//     Enforce bootstrap under the Lambda Runtime Interface Emulator against moto_server, with a
//     proxy counting sts:AssumeRole per account. Goal: at most one per account per credential
//     lifetime (one hour).
//
//  3. The real Sweep bootstrap under the emulator against moto_server, -moto-roles roles per
//     account: end to end, but moto serves every account from one process.
//
//     make bench-org     # or: go run ./cmd/benchorg [-accounts 10] [-roles 500] [-events 100]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

type options struct {
	accounts, roles, events int
	open                    float64
	listLatency             time.Duration
	tagsLatency             time.Duration
	writeLatency            time.Duration
	assumeLatency           time.Duration
	publishLatency          time.Duration
	skipEmulator            bool
	motoRoles               int
}

func main() {
	var o options
	flag.IntVar(&o.accounts, "accounts", 10, "accounts in the organization (sweep)")
	flag.IntVar(&o.roles, "roles", 500, "roles per account (sweep)")
	flag.Float64Var(&o.open, "open", 0.4, "share of roles whose trust policy needs a fix (sweep)")
	flag.IntVar(&o.events, "events", 100, "CreateRole events for the AssumeRole count")
	flag.DurationVar(&o.listLatency, "list-latency", 300*time.Millisecond, "model: ListRoles page (1000 roles)")
	flag.DurationVar(&o.tagsLatency, "tags-latency", 40*time.Millisecond, "model: ListRoleTags")
	flag.DurationVar(&o.writeLatency, "write-latency", 80*time.Millisecond, "model: UpdateAssumeRolePolicy")
	flag.DurationVar(&o.assumeLatency, "assume-latency", 100*time.Millisecond, "model: sts:AssumeRole")
	flag.DurationVar(&o.publishLatency, "publish-latency", 20*time.Millisecond, "model: events:PutEvents and SSM calls")
	flag.BoolVar(&o.skipEmulator, "skip-emulator", false, "skip parts 2 and 3 (need moto_server and the emulator)")
	flag.IntVar(&o.motoRoles, "moto-roles", 100, "part 3: roles per account for the Sweep bootstrap against moto_server (0 skips it)")
	flag.Parse()
	if o.accounts < 1 || o.roles < 1 || o.events < 1 || o.open < 0 || o.open > 1 {
		fmt.Fprintln(os.Stderr, "benchorg: -accounts, -roles, -events must be positive and -open within 0..1")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := sweepBench(ctx, os.Stdout, o); err != nil {
		fail(err)
	}
	if !o.skipEmulator {
		if err := assumeBench(ctx, os.Stdout, o); err != nil {
			fail(err)
		}
		if o.motoRoles > 0 {
			if err := motoSweepBench(ctx, os.Stdout, o); err != nil {
				fail(err)
			}
		}
	}
}

func fail(err error) {
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "benchorg: interrupted; everything it started is stopped")
		os.Exit(130)
	}
	fmt.Fprintf(os.Stderr, "benchorg: %v\n", err)
	os.Exit(1)
}
