package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/lambdaemu"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/orgestate"
)

// motoSweepBench runs the real Sweep bootstrap under the emulator against moto_server: one
// account of o.motoRoles roles (SWEEP_SCOPE=account), then an organization of o.accounts
// accounts of o.motoRoles roles each (SWEEP_SCOPE=organization). moto answers every account from
// one process, so this shows the bootstrap end to end, not IAM's per-account limits.
func motoSweepBench(ctx context.Context, w io.Writer, o options) error {
	fmt.Fprintf(w, "== Sweep bootstrap under the emulator against moto_server: %d accounts x %d roles vs 1 x %d\n",
		o.accounts, o.motoRoles, o.motoRoles)
	dir, err := os.MkdirTemp("", "benchorg-sweep")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	boot, err := lambdaemu.Build(ctx, "./functions/sweep", dir)
	if err != nil {
		return err
	}
	rie, err := lambdaemu.EnsureRIE(ctx)
	if err != nil {
		return err
	}
	one, err := motoSweep(ctx, o, boot, rie, 1)
	if err != nil {
		return err
	}
	org, err := motoSweep(ctx, o, boot, rie, o.accounts)
	if err != nil {
		return err
	}
	ratio := org.Seconds() / one.Seconds()
	fmt.Fprintf(w, "   one account: %v; organization: %v; ratio %.2fx (moto serves all accounts from one process: not IAM's per-account limits)\n",
		one.Round(time.Millisecond), org.Round(time.Millisecond), ratio)
	return nil
}

// motoSweep builds a fresh moto with accounts accounts (1: no organization) and returns the
// sweep invocation's wall time.
func motoSweep(ctx context.Context, o options, boot, rie string, accounts int) (time.Duration, error) {
	srv, err := motoserver.Run(ctx)
	if err != nil {
		return 0, err
	}
	defer srv.Stop()
	cfg := srv.AWSConfig()
	cfgs := []aws.Config{cfg}
	env := append(srv.Env(), "SWEEP_MODE=require", "FINDINGS_BUS_NAME="+benchBus,
		"GUARD_ROLE_ARNS=arn:aws:iam::"+motoserver.AccountID+":role/source-identity-guard/bench/SweepFunctionRole")
	if accounts > 1 {
		org, err := orgestate.Create(ctx, cfg, accounts-1)
		if err != nil {
			return 0, err
		}
		for _, m := range org.Members {
			mc, err := orgestate.Member(ctx, cfg, m, "OrganizationAccountAccessRole")
			if err != nil {
				return 0, err
			}
			cfgs = append(cfgs, mc)
		}
		// moto lets the hub assume the member role even where none exists; the trust policy is
		// judged by the engine's tests, not here.
		env = append(env, "SWEEP_SCOPE=organization", "MEMBER_ROLE_NAME="+memberRole,
			fmt.Sprintf("SWEEP_ACCOUNT_CONCURRENCY=%d", min(accounts, 32)))
	}
	if _, err := eventbridge.NewFromConfig(cfg).CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(benchBus)}); err != nil {
		return 0, err
	}
	open := int(float64(o.motoRoles)*o.open + 0.5)
	var wg sync.WaitGroup
	errs := make(chan error, len(cfgs))
	for _, c := range cfgs {
		wg.Go(func() {
			client := iam.NewFromConfig(c)
			for i := range o.motoRoles {
				p := modelCompliant
				if i < open {
					p = modelOpen
				}
				if _, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(fmt.Sprintf("role-%05d", i)),
					AssumeRolePolicyDocument: aws.String(p)}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	emu, err := lambdaemu.Run(ctx, lambdaemu.Config{Bootstrap: boot, RIE: rie, FunctionName: "sweep", Env: env})
	if err != nil {
		return 0, err
	}
	defer emu.Stop()
	t0 := time.Now()
	inv, err := emu.Invoke(ctx, []byte(`{}`))
	if err != nil {
		return 0, err
	}
	took := time.Since(t0)
	if f := inv.Failure(); f != "" {
		return 0, fmt.Errorf("sweep (%d accounts): %s", accounts, f)
	}
	var sum struct {
		Completed bool           `json:"completed"`
		Roles     int            `json:"roles"`
		Counts    map[string]int `json:"counts"`
	}
	if err := json.Unmarshal(inv.Payload, &sum); err != nil {
		return 0, err
	}
	if !sum.Completed || sum.Roles < accounts*o.motoRoles {
		return 0, fmt.Errorf("sweep (%d accounts) incomplete: %s", accounts, strings.TrimSpace(string(inv.Payload)))
	}
	return took, nil
}
