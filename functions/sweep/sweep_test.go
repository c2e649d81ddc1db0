package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/estate"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/faultproxy"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
	"github.com/source-identity-guard/source-identity-guard/shared/sweep"
)

func TestMain(m *testing.M) { os.Exit(motoserver.RunTests(m)) }

const bus = "findings"

// pointAt makes the SDK's default chain (what main uses) reach endpoint with dummy credentials.
func pointAt(t *testing.T, srv *motoserver.Server, endpoint string) {
	t.Helper()
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func newTestHandler(t *testing.T, vars map[string]string) *handler {
	t.Helper()
	h, err := newHandler(t.Context(), env(vars), slog.New(slog.DiscardHandler), io.Discard)
	if err != nil {
		t.Fatalf("newHandler: %v", err)
	}
	return h
}

// createBus creates the findings bus.
func createBus(t *testing.T, cfg aws.Config) {
	t.Helper()
	if _, err := eventbridge.NewFromConfig(cfg).CreateEventBus(t.Context(), &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
		t.Fatal(err)
	}
}

// record makes h keep every event it publishes (after EventBridge accepted it).
func record(h *handler) func() []captured {
	var (
		mu  sync.Mutex
		out []captured
	)
	inner := h.job.Publisher
	h.job.Publisher = sweep.PublisherFunc(func(ctx context.Context, evs []sweep.Event) (int, error) {
		failed, err := inner.Publish(ctx, evs)
		mu.Lock()
		defer mu.Unlock()
		for _, e := range evs {
			detail, jerr := json.Marshal(e.Detail)
			if jerr != nil {
				return failed, jerr
			}
			out = append(out, captured{DetailType: e.DetailType, Resources: e.Resources, Detail: detail})
		}
		return failed, err
	})
	return func() []captured {
		mu.Lock()
		defer mu.Unlock()
		return append([]captured(nil), out...)
	}
}

type captured struct {
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

func split(t *testing.T, evs []captured) (decisions []guard.DecisionEvent, summaries []map[string]any) {
	t.Helper()
	for _, e := range evs {
		switch e.DetailType {
		case guard.EventDetailType:
			var d guard.DecisionEvent
			if err := json.Unmarshal(e.Detail, &d); err != nil {
				t.Fatal(err)
			}
			decisions = append(decisions, d)
		case sweep.SummaryDetailType:
			var s map[string]any
			if err := json.Unmarshal(e.Detail, &s); err != nil {
				t.Fatal(err)
			}
			summaries = append(summaries, s)
		default:
			t.Errorf("unexpected detail-type %q", e.DetailType)
		}
	}
	return decisions, summaries
}

func createEstate(t *testing.T, cfg aws.Config, n int) []int {
	t.Helper()
	start := time.Now()
	plan, err := estate.Create(t.Context(), iam.NewFromConfig(cfg), n, 8)
	if err != nil {
		t.Fatalf("create estate: %v", err)
	}
	t.Logf("created %d roles in moto in %v", n, time.Since(start).Round(time.Millisecond))
	return plan
}

// expected: the decision of every estate kind per mode (tags read), as the guard decides.
var expected = map[guard.Mode]map[string]guard.Decision{
	guard.ModeAudit: {
		"compliant": guard.Compliant, "open": guard.WouldPatch, "service": guard.Compliant, "mixed": guard.WouldPatch,
		"exempt-tag": guard.Exempt, "mode-allow": guard.Patched, "legacy": guard.Exempt,
		"AWSReservedSSO_Admin": guard.Exempt, "AWSServiceRoleFor": guard.Exempt, "wildcard": guard.Unfixable,
	},
	guard.ModeRequire: {
		"compliant": guard.Compliant, "open": guard.Patched, "service": guard.Compliant, "mixed": guard.Patched,
		"exempt-tag": guard.Exempt, "mode-allow": guard.Patched, "legacy": guard.Exempt,
		"AWSReservedSSO_Admin": guard.Exempt, "AWSServiceRoleFor": guard.Exempt, "wildcard": guard.Unfixable,
	},
}

func wantCounts(plan []int, mode guard.Mode, nowCompliant ...string) map[guard.Decision]int {
	c := map[guard.Decision]int{}
	for i, k := range estate.Kinds {
		if plan[i] == 0 {
			continue
		}
		d := expected[mode][k.Name]
		if slices.Contains(nowCompliant, k.Name) {
			d = guard.Compliant
		}
		c[d] += plan[i]
	}
	return c
}

func trustPolicies(t *testing.T, cfg aws.Config) map[string]string {
	t.Helper()
	out := map[string]string{}
	p := iam.NewListRolesPaginator(iam.NewFromConfig(cfg), &iam.ListRolesInput{MaxItems: aws.Int32(1000)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Roles {
			doc, err := url.PathUnescape(aws.ToString(r.AssumeRolePolicyDocument))
			if err != nil {
				t.Fatal(err)
			}
			out[aws.ToString(r.RoleName)] = doc
		}
	}
	return out
}

func TestSweepEstate(t *testing.T) {
	srv := motoserver.Shared(t)
	cfg := srv.AWSConfig()
	pointAt(t, srv, srv.URL)
	const n = 2100
	plan := createEstate(t, cfg, n)
	createBus(t, cfg)
	before := trustPolicies(t, cfg)

	vars := map[string]string{"FINDINGS_BUS_NAME": bus, "EXEMPT_ROLE_PATTERNS": estate.ExemptPathPattern}

	// 1. audit (the default): report, change nothing but the roles whose mode tag says allow.
	h := newTestHandler(t, vars)
	drain := record(h)
	sum, err := h.Handle(t.Context(), scheduledEvent())
	if err != nil {
		t.Fatalf("audit sweep: %v", err)
	}
	checkSummary(t, "audit", sum, plan, guard.ModeAudit, n)
	after := trustPolicies(t, cfg)
	for name, doc := range after {
		k, _ := estate.KindOf(name)
		if changed := doc != before[name]; changed != (k.Name == "mode-allow") {
			t.Errorf("audit: role %s changed = %v", name, changed)
		}
	}
	decisions, summaries := split(t, drain())
	if len(summaries) != 1 || summaries[0]["completed"] != true {
		t.Errorf("audit: summary events = %v; want one with completed=true", summaries)
	}
	publishing := 0
	for d, c := range sum.Counts {
		if d.Publishes() {
			publishing += c
		}
	}
	if len(decisions) != publishing || sum.EventsPublished != publishing {
		t.Errorf("audit: decision events read back = %d, summary eventsPublished = %d; want %d", len(decisions), sum.EventsPublished, publishing)
	}
	for _, d := range decisions {
		k, _ := estate.KindOf(d.RoleName)
		if d.Decision != expected[guard.ModeAudit][k.Name] || d.Account != motoserver.AccountID || d.RoleARN == "" || d.Trigger != nil {
			t.Errorf("audit: decision event %+v", d)
			break
		}
	}

	// 2. require: every fixable role is patched, with the calls the design allows.
	vars["SWEEP_MODE"] = "require"
	sum, err = newTestHandler(t, vars).Handle(t.Context(), scheduledEvent())
	if err != nil {
		t.Fatalf("require sweep: %v", err)
	}
	// The audit run already patched the mode-allow roles; they now comply with their own mode.
	checkSummary(t, "require", sum, plan, guard.ModeRequire, n, "mode-allow")
	nonCompliant := n - kindCount(plan, "compliant", "service", "legacy", "AWSReservedSSO_Admin", "AWSServiceRoleFor")
	patched := sum.Counts[guard.Patched]
	pages := (n + 999) / 1000
	wantCalls := map[string]int{
		"IAM.ListRoles":              pages,
		"IAM.ListRoleTags":           nonCompliant,
		"IAM.UpdateAssumeRolePolicy": patched,
		"EventBridge.PutEvents":      (patched+sum.Counts[guard.Unfixable]+9)/10 + 1,
		"SSM.GetParameter":           1,
		"SSM.PutParameter":           1,
	}
	if diff := cmp.Diff(wantCalls, sum.APICalls); diff != "" {
		t.Errorf("require: API calls (-want +got):\n%s", diff)
	}
	// 3. a second require sweep finds nothing left to patch.
	sum, err = newTestHandler(t, vars).Handle(t.Context(), scheduledEvent())
	if err != nil {
		t.Fatalf("second require sweep: %v", err)
	}
	if sum.Counts[guard.Patched] != 0 || sum.Counts[guard.WouldPatch] != 0 || sum.APICalls["IAM.UpdateAssumeRolePolicy"] != 0 {
		t.Errorf("second require sweep: counts %v, calls %v; want nothing patched", sum.Counts, sum.APICalls)
	}
	if sum.Counts[guard.Compliant] != n-kindCount(plan, "exempt-tag", "legacy", "AWSReservedSSO_Admin", "AWSServiceRoleFor", "wildcard") {
		t.Errorf("second require sweep: compliant = %d; counts %v", sum.Counts[guard.Compliant], sum.Counts)
	}
}

func kindCount(plan []int, names ...string) int {
	n := 0
	for i, k := range estate.Kinds {
		for _, name := range names {
			if k.Name == name {
				n += plan[i]
			}
		}
	}
	return n
}

// checkSummary checks a complete run's summary; nowCompliant are kinds an earlier run fixed.
func checkSummary(t *testing.T, label string, sum sweep.Summary, plan []int, mode guard.Mode, n int, nowCompliant ...string) {
	t.Helper()
	if !sum.Completed || sum.Roles != n || sum.Next != nil || sum.StopReason != "" || sum.Mode != mode {
		t.Errorf("%s: summary completed %v roles %d next %v stop %q mode %s; want true %d nil \"\" %s",
			label, sum.Completed, sum.Roles, sum.Next, sum.StopReason, sum.Mode, n, mode)
	}
	if diff := cmp.Diff(wantCounts(plan, mode, nowCompliant...), sum.Counts); diff != "" {
		t.Errorf("%s: counts (-want +got):\n%s", label, diff)
	}
	if sum.EventsFailed != 0 || len(sum.Warnings) > 0 {
		t.Errorf("%s: events failed %d, warnings %v", label, sum.EventsFailed, sum.Warnings)
	}
}

func scheduledEvent() events.CloudWatchEvent {
	return events.CloudWatchEvent{DetailType: "Scheduled Event", Source: "aws.events", Detail: json.RawMessage(`{}`)}
}

// TestSweepResumesAfterDeadline gives every run a deadline just past its safety margin: each
// run stops early, saves its position in SSM, and the next one continues there until one run
// completes. Every role is written exactly once.
func TestSweepResumesAfterDeadline(t *testing.T) {
	srv := motoserver.Shared(t)
	cfg := srv.AWSConfig()
	pointAt(t, srv, srv.URL)
	const n = 300
	ctx := t.Context()
	client := iam.NewFromConfig(cfg)
	for i := range n {
		if _, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(fmt.Sprintf("open-%03d", i)),
			AssumeRolePolicyDocument: aws.String(estate.PolicyOpen)}); err != nil {
			t.Fatal(err)
		}
	}
	createBus(t, cfg)
	vars := map[string]string{"FINDINGS_BUS_NAME": bus, "SWEEP_MODE": "require", "SWEEP_SAFETY_MARGIN_SECONDS": "1",
		"SWEEP_POSITION_PARAMETER": "/test/sweep-position"}
	h := newTestHandler(t, vars)
	updates, runs := 0, 0
	var resumed bool
	for runs = 1; runs <= 100; runs++ {
		rctx, cancel := context.WithTimeout(ctx, time.Second+400*time.Millisecond)
		sum, err := h.Handle(rctx, scheduledEvent())
		cancel()
		if err != nil {
			t.Fatalf("run %d: %v", runs, err)
		}
		updates += sum.APICalls["IAM.UpdateAssumeRolePolicy"]
		resumed = resumed || sum.Resumed
		if sum.Completed {
			break
		}
		if sum.StopReason != "deadline" || sum.Next == nil {
			t.Fatalf("run %d: stop reason %q next %v", runs, sum.StopReason, sum.Next)
		}
		saved, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/test/sweep-position")})
		if err != nil {
			t.Fatalf("run %d: position not saved: %v", runs, err)
		}
		var p sweep.Position
		if err := json.Unmarshal([]byte(aws.ToString(saved.Parameter.Value)), &p); err != nil || p.Marker != sum.Next.Marker || p.After != sum.Next.After || !p.Since.Equal(sum.Next.Since) {
			t.Fatalf("run %d: saved position %s (%v); want %+v", runs, aws.ToString(saved.Parameter.Value), err, *sum.Next)
		}
	}
	t.Logf("%d roles patched in %d runs", n, runs)
	if runs < 2 || !resumed {
		t.Fatalf("completed in %d run(s), resumed %v; the deadline should have forced several", runs, resumed)
	}
	if updates != n {
		t.Errorf("UpdateAssumeRolePolicy calls = %d; want %d (each role once)", updates, n)
	}
	for name, doc := range trustPolicies(t, cfg) {
		if doc == estate.PolicyOpen {
			t.Errorf("role %s not patched", name)
		}
	}
}

// TestSweepUnderThrottling puts a proxy between the function and moto that answers every
// tenth IAM request with Throttling: the adaptive retry slows the sweep down; nothing is lost.
func TestSweepUnderThrottling(t *testing.T) {
	srv := motoserver.Shared(t)
	cfg := srv.AWSConfig()
	plan := createEstate(t, cfg, 120)
	createBus(t, cfg)
	proxy, err := faultproxy.Start(srv.URL, faultproxy.Options{Services: []string{"iam"}, Every: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	pointAt(t, srv, proxy.URL)
	vars := map[string]string{"FINDINGS_BUS_NAME": bus, "SWEEP_MODE": "require", "EXEMPT_ROLE_PATTERNS": estate.ExemptPathPattern}
	sum, err := newTestHandler(t, vars).Handle(t.Context(), scheduledEvent())
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	checkSummary(t, "throttled", sum, plan, guard.ModeRequire, 120)
	if proxy.Throttled() == 0 {
		t.Fatal("the proxy throttled nothing")
	}
	iamCalls := sum.APICalls["IAM.ListRoles"] + sum.APICalls["IAM.ListRoleTags"] + sum.APICalls["IAM.UpdateAssumeRolePolicy"]
	t.Logf("throttled %d of %d IAM attempts; sweep took %d ms", proxy.Throttled(), iamCalls, sum.DurationMS)
	for name, doc := range trustPolicies(t, cfg) {
		k, _ := estate.KindOf(name)
		if expected[guard.ModeRequire][k.Name] == guard.Patched && doc == k.Policy {
			t.Errorf("role %s not patched", name)
		}
	}
}
