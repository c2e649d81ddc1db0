package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/source-identity-guard/source-identity-guard/shared/apicalls"
	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/estate"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/lambdaemu"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
	"github.com/source-identity-guard/source-identity-guard/shared/sweep"
)

const busName = "bench-findings"

// result is one size's figures.
type result struct {
	n            int
	create       time.Duration
	sweepWall    time.Duration // client wall time of the invoke
	sweepInside  time.Duration // the summary's durationMs
	baseline     time.Duration
	peakRSS      int64
	summary      sweep.Summary
	baseCalls    map[string]int
	nonCompliant int // roles not compliant under require and not exempt by the path pattern
	reread       int // roles the sweep re-reads (GetRole) before it writes
}

func run(ctx context.Context, w io.Writer, o options) error {
	srv, err := motoserver.Run(ctx)
	if err != nil {
		return err
	}
	defer srv.Stop()

	dir, err := os.MkdirTemp("", "benchsweep")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	t0 := time.Now()
	boot, err := lambdaemu.Build(ctx, "./functions/sweep", dir)
	if err != nil {
		return err
	}
	rie, err := lambdaemu.EnsureRIE(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "built ./functions/sweep in %v; moto_server %s; concurrency %d\n\n", time.Since(t0).Round(time.Millisecond), srv.URL, o.concurrency)

	var results []result
	for _, n := range o.sizes {
		r, err := measure(ctx, w, srv, boot, rie, n, o)
		if err != nil {
			return fmt.Errorf("%d roles: %w", n, err)
		}
		results = append(results, r)
	}
	report(w, results)
	return nil
}

func measure(ctx context.Context, w io.Writer, srv *motoserver.Server, boot, rie string, n int, o options) (result, error) {
	r := result{n: n}
	plan, took, err := fresh(ctx, srv, n, o.createConcurrency)
	if err != nil {
		return r, err
	}
	r.create = took
	for i, k := range estate.Kinds {
		if !slices.Contains(noWrite, k.Name) {
			r.reread += plan[i]
		}
		if !slices.Contains(noWrite, k.Name) || k.Name == "wildcard" {
			r.nonCompliant += plan[i]
		}
	}
	fmt.Fprintf(w, "%d roles: created in moto in %v (%d CreateRole calls in flight)\n", n, took.Round(time.Millisecond), o.createConcurrency)

	emu, err := lambdaemu.Run(ctx, lambdaemu.Config{Bootstrap: boot, RIE: rie, FunctionName: "sweep",
		Env: append(srv.Env(), "SWEEP_MODE=require", "FINDINGS_BUS_NAME="+busName,
			"EXEMPT_ROLE_PATTERNS="+estate.ExemptPathPattern, "SWEEP_CONCURRENCY="+strconv.Itoa(o.concurrency))})
	if err != nil {
		return r, err
	}
	event := []byte(`{"version":"0","id":"bench","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-28T06:00:00Z","region":"us-east-1","resources":[],"detail":{}}`)
	inv, err := emu.Invoke(ctx, event)
	if err == nil {
		if f := inv.Failure(); f != "" {
			err = fmt.Errorf("invoke: %s", f)
		}
	}
	if err == nil {
		r.peakRSS, err = emu.PeakRSS()
	}
	if serr := emu.Stop(); err == nil {
		err = serr
	}
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(inv.Payload, &r.summary); err != nil {
		return r, fmt.Errorf("summary %s: %w", inv.Payload, err)
	}
	if !r.summary.Completed {
		return r, fmt.Errorf("sweep did not complete: %s", inv.Payload)
	}
	r.sweepWall = inv.Latency
	r.sweepInside = time.Duration(r.summary.DurationMS) * time.Millisecond
	fmt.Fprintf(w, "%d roles: sweep %v (inside the function %v)\n", n, r.sweepWall.Round(time.Millisecond), r.sweepInside)

	// The baseline gets the same, freshly created estate.
	if _, _, err := fresh(ctx, srv, n, o.createConcurrency); err != nil {
		return r, err
	}
	events := 0
	for d, c := range r.summary.Counts {
		if d.Publishes() {
			events += c
		}
	}
	r.baseline, r.baseCalls, err = baseline(ctx, srv, r.summary.Counts[guard.Patched], events, o.concurrency)
	if err != nil {
		return r, fmt.Errorf("baseline: %w", err)
	}
	fmt.Fprintf(w, "%d roles: baseline %v\n\n", n, r.baseline.Round(time.Millisecond))
	return r, nil
}

// fresh wipes moto and creates an estate of n roles and the findings bus.
func fresh(ctx context.Context, srv *motoserver.Server, n, conc int) ([]int, time.Duration, error) {
	if err := srv.Reset(); err != nil {
		return nil, 0, err
	}
	cfg := srv.AWSConfig()
	start := time.Now()
	plan, err := estate.Create(ctx, iam.NewFromConfig(cfg), n, conc)
	if err != nil {
		return nil, 0, err
	}
	took := time.Since(start)
	if _, err := eventbridge.NewFromConfig(cfg).CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(busName)}); err != nil {
		return nil, 0, err
	}
	return plan, took, nil
}

// noWrite are the estate kinds the sweep judges from the ListRoles page alone: compliant, exempt
// by the path pattern, or unfixable (the wildcard). Role tags are not trusted (the function's
// default) and no path is exempt, so every other kind is re-read (GetRole) and patched.
var noWrite = []string{"compliant", "service", "legacy", "wildcard"}

// baseline makes the calls the sweep made, with no logic: the SSM read, every ListRoles page,
// GetRole and an UpdateAssumeRolePolicy with a compliant document for as many roles as the sweep
// patched (known here from the role names), PutEvents for the decision events in batches of 10
// plus the summary, and the SSM write.
func baseline(ctx context.Context, srv *motoserver.Server, patches, events, conc int) (time.Duration, map[string]int, error) {
	counter := &apicalls.Counter{}
	cfg := srv.AWSConfig()
	cfg.APIOptions = append(cfg.APIOptions, counter.APIOptions()...)
	ic, eb, sc := iam.NewFromConfig(cfg), eventbridge.NewFromConfig(cfg), ssm.NewFromConfig(cfg)
	param := "/bench/position"
	start := time.Now()
	if _, err := sc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(param)}); err != nil && !strings.Contains(err.Error(), "ParameterNotFound") {
		return 0, nil, err
	}
	var marker *string
	for {
		out, err := ic.ListRoles(ctx, &iam.ListRolesInput{MaxItems: aws.Int32(1000), Marker: marker})
		if err != nil {
			return 0, nil, err
		}
		var write []string
		for _, role := range out.Roles {
			name := aws.ToString(role.RoleName)
			k, _ := estate.KindOf(name)
			if !slices.Contains(noWrite, k.Name) && patches > 0 {
				write = append(write, name)
				patches--
			}
		}
		if err := each(ctx, conc, write, func(name string) error {
			if _, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)}); err != nil {
				return err
			}
			_, err := ic.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name), PolicyDocument: aws.String(estate.PolicyCompliant)})
			return err
		}); err != nil {
			return 0, nil, err
		}
		if !out.IsTruncated {
			break
		}
		marker = out.Marker
	}
	detail := `{"roleArn":"arn:aws:iam::123456789012:role/open-00001","decision":"patched","policyBefore":` + estate.PolicyOpen + `,"policyAfter":` + estate.PolicyCompliant + `}`
	for sent := 0; sent < events; sent += 10 {
		var entries []ebtypes.PutEventsRequestEntry
		for range min(10, events-sent) {
			entries = append(entries, ebtypes.PutEventsRequestEntry{EventBusName: aws.String(busName), Source: aws.String(guard.EventSource),
				DetailType: aws.String(guard.EventDetailType), Detail: aws.String(detail)})
		}
		if _, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries}); err != nil {
			return 0, nil, err
		}
	}
	if _, err := ssm.NewFromConfig(cfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(param), Value: aws.String("{}"),
		Type: "String", Overwrite: aws.Bool(true)}); err != nil {
		return 0, nil, err
	}
	if _, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{EventBusName: aws.String(busName),
		Source: aws.String(guard.EventSource), DetailType: aws.String(sweep.SummaryDetailType), Detail: aws.String(`{"completed":true}`)}}}); err != nil {
		return 0, nil, err
	}
	return time.Since(start), counter.Snapshot(), nil
}

// each calls f for every item with conc calls in flight and returns the first error.
func each(ctx context.Context, conc int, items []string, f func(string) error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ferr error
	)
	sem := make(chan struct{}, conc)
	for _, it := range items {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := f(it); err != nil {
				mu.Lock()
				ferr = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if ferr == nil {
		ferr = ctx.Err()
	}
	return ferr
}

func report(w io.Writer, rs []result) {
	fmt.Fprintln(w, "| roles | create in moto | sweep wall | baseline wall | sweep/baseline | peak RSS | ListRoles | GetRole | UpdateAssumeRolePolicy | PutEvents | SSM |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rs {
		c := r.summary.APICalls
		fmt.Fprintf(w, "| %d | %v | %v | %v | %.2f | %.1f MiB | %d | %d | %d | %d | %d |\n", r.n,
			r.create.Round(100*time.Millisecond), r.sweepWall.Round(time.Millisecond), r.baseline.Round(time.Millisecond),
			r.sweepWall.Seconds()/r.baseline.Seconds(), float64(r.peakRSS)/(1<<20),
			c["IAM.ListRoles"], c["IAM.GetRole"], c["IAM.UpdateAssumeRolePolicy"], c["EventBridge.PutEvents"],
			c["SSM.GetParameter"]+c["SSM.PutParameter"])
	}
	fmt.Fprintln(w)
	for _, r := range rs {
		c := r.summary.APICalls
		pages := (r.n + 999) / 1000
		counts := r.summary.Counts
		events := 0
		for d, k := range counts {
			if d.Publishes() {
				events += k
			}
		}
		perRole := float64(c["IAM.GetRole"]+c["IAM.UpdateAssumeRolePolicy"]+c["EventBridge.PutEvents"]-1) / float64(max(r.nonCompliant, 1))
		fmt.Fprintf(w, "%d roles: counts %v\n", r.n, sortedCounts(counts))
		fmt.Fprintf(w, "  ListRoles %d = ceil(%d/1000) = %d: %s\n", c["IAM.ListRoles"], r.n, pages, ok(c["IAM.ListRoles"] == pages))
		fmt.Fprintf(w, "  roles judged from the listing alone: %d, calls for them beyond ListRoles: GetRole %d - %d re-read = %d: %s\n",
			r.n-r.reread, c["IAM.GetRole"], r.reread, c["IAM.GetRole"]-r.reread, ok(c["IAM.GetRole"] == r.reread))
		fmt.Fprintf(w, "  per non-compliant role: %.3f calls (GetRole + UpdateAssumeRolePolicy + decision PutEvents over %d roles; target <= 2.1): %s\n",
			perRole, r.nonCompliant, ok(perRole <= 2.1))
		fmt.Fprintf(w, "  PutEvents %d = ceil(%d decision events/10) + 1 summary: %s\n", c["EventBridge.PutEvents"], events, ok(c["EventBridge.PutEvents"] == (events+9)/10+1))
		fmt.Fprintf(w, "  wall time %.2fx the baseline (target <= 1.5): %s\n", r.sweepWall.Seconds()/r.baseline.Seconds(), ok(r.sweepWall.Seconds() <= 1.5*r.baseline.Seconds()))
		fmt.Fprintf(w, "  baseline calls: %v\n", sortedCounts(r.baseCalls))
	}
	if len(rs) > 1 {
		a, b := rs[0], rs[len(rs)-1]
		fmt.Fprintf(w, "\npeak RSS %.1f MiB at %d roles, %.1f MiB at %d roles (x%.2f for x%.1f roles)\n",
			float64(a.peakRSS)/(1<<20), a.n, float64(b.peakRSS)/(1<<20), b.n,
			float64(b.peakRSS)/float64(a.peakRSS), float64(b.n)/float64(a.n))
	}
}

func ok(b bool) string {
	if b {
		return "ok"
	}
	return "MISSED"
}

func sortedCounts[K ~string](m map[K]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}
