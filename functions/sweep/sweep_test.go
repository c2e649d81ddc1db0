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
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/estate"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/faultproxy"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/lease"
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
	// Role tags are not protected by default (TRUST_ROLE_TAGS unset): the tagged roles are judged
	// like the others, and no path is exempt.
	guard.ModeAudit: {
		"compliant": guard.Compliant, "open": guard.WouldPatch, "service": guard.Compliant, "mixed": guard.WouldPatch,
		"exempt-tag": guard.WouldPatch, "mode-allow": guard.WouldPatch, "legacy": guard.Exempt,
		"AWSReservedSSO_Admin": guard.WouldPatch, "AWSServiceRoleFor": guard.WouldPatch, "wildcard": guard.Unfixable,
	},
	guard.ModeRequire: {
		"compliant": guard.Compliant, "open": guard.Patched, "service": guard.Compliant, "mixed": guard.Patched,
		"exempt-tag": guard.Patched, "mode-allow": guard.Patched, "legacy": guard.Exempt,
		"AWSReservedSSO_Admin": guard.Patched, "AWSServiceRoleFor": guard.Patched, "wildcard": guard.Unfixable,
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

	// 1. audit (the default): report, change nothing, whatever a role's tags say.
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
		if doc != before[name] {
			t.Errorf("audit: role %s (%s) changed", name, k.Name)
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
	checkSummary(t, "require", sum, plan, guard.ModeRequire, n)
	// Bypass 2: the summary counts exemptions by kind; here only the legacy path pattern exempts.
	if diff := cmp.Diff(map[string]int{"pattern:" + estate.ExemptPathPattern: kindCount(plan, "legacy")}, sum.Exemptions); diff != "" {
		t.Errorf("require: exemptions by kind (-want +got):\n%s", diff)
	}
	patched := sum.Counts[guard.Patched]
	pages := (n + 999) / 1000
	// 2 calls per patched role (GetRole, then the write of what it read); none for the others.
	wantCalls := map[string]int{
		"IAM.ListRoles":                      pages,
		"IAM.GetRole":                        patched,
		"IAM.UpdateAssumeRolePolicy":         patched,
		"Organizations.DescribeOrganization": 1, // moto's account is in no organization
		"EventBridge.PutEvents":              (patched+sum.Counts[guard.Unfixable]+9)/10 + 1,
		"SSM.GetParameter":                   1,
		"SSM.PutParameter":                   1,
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
	if sum.Counts[guard.Compliant] != n-kindCount(plan, "legacy", "wildcard") {
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
	iamCalls := sum.APICalls["IAM.ListRoles"] + sum.APICalls["IAM.GetRole"] + sum.APICalls["IAM.UpdateAssumeRolePolicy"]
	t.Logf("throttled %d of %d IAM attempts; sweep took %d ms", proxy.Throttled(), iamCalls, sum.DurationMS)
	for name, doc := range trustPolicies(t, cfg) {
		k, _ := estate.KindOf(name)
		if expected[guard.ModeRequire][k.Name] == guard.Patched && doc == k.Policy {
			t.Errorf("role %s not patched", name)
		}
	}
}

// motoIAM points the SDK's default chain at the shared moto_server and returns its config and
// an IAM client.
func motoIAM(t *testing.T) (aws.Config, *iam.Client) {
	t.Helper()
	srv := motoserver.Shared(t)
	pointAt(t, srv, srv.URL)
	cfg := srv.AWSConfig()
	return cfg, iam.NewFromConfig(cfg)
}

// sweepKeyAndLock creates the stack's KMS HMAC key and lease table in moto.
func sweepKeyAndLock(t *testing.T, cfg aws.Config) (keyID, table string) {
	t.Helper()
	key, err := kms.NewFromConfig(cfg).CreateKey(t.Context(), &kms.CreateKeyInput{
		KeySpec: kmstypes.KeySpecHmac256, KeyUsage: kmstypes.KeyUsageTypeGenerateVerifyMac})
	if err != nil {
		t.Fatalf("create HMAC key: %v", err)
	}
	table = fmt.Sprintf("sweep-lock-%d", time.Now().UnixNano())
	if _, err := dynamodb.NewFromConfig(cfg).CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	}); err != nil {
		t.Fatalf("create lease table: %v", err)
	}
	return aws.ToString(key.KeyMetadata.KeyId), table
}

// TestSweepRefusesAForgedPosition is bypass 5 against moto: someone who may call
// ssm:PutParameter (but not use the sweep's KMS key) writes a position past the last role. The
// sweep does not skip a role: it rejects the position, judges every role from the first,
// reports the restart, and saves a position signed with its KMS key.
func TestSweepRefusesAForgedPosition(t *testing.T) {
	cfg, client := motoIAM(t)
	ctx := t.Context()
	const n = 30
	for i := range n {
		if _, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(fmt.Sprintf("forged-%03d", i)),
			AssumeRolePolicyDocument: aws.String(estate.PolicyOpen)}); err != nil {
			t.Fatal(err)
		}
	}
	createBus(t, cfg)
	keyID, table := sweepKeyAndLock(t, cfg)
	param := "/test/forged-position"
	forged := `{"marker":"","after":"zzzz-after-every-role"}`
	if _, err := ssm.NewFromConfig(cfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(param), Value: aws.String(forged),
		Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"FINDINGS_BUS_NAME": bus, "SWEEP_MODE": "audit", "SWEEP_POSITION_PARAMETER": param,
		EnvPositionKey: keyID, EnvLockTable: table}
	sum, err := newTestHandler(t, vars).Handle(ctx, scheduledEvent())
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	if !sum.Restarted || !strings.Contains(sum.RestartReason, "signed") || sum.Resumed || !sum.CompletePass {
		t.Errorf("restarted %v (%q) resumed %v complete pass %v; want the forged position rejected and a complete pass",
			sum.Restarted, sum.RestartReason, sum.Resumed, sum.CompletePass)
	}
	if sum.Counts[guard.WouldPatch] < n {
		t.Errorf("would-patch %d; want every one of the %d open roles judged (counts %v)", sum.Counts[guard.WouldPatch], n, sum.Counts)
	}
	if judged := sum.Judged; judged < n || sum.ComplianceRatio == 1 {
		t.Errorf("judged %d, compliance %v", judged, sum.ComplianceRatio)
	}
	saved, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(param)})
	if err != nil {
		t.Fatal(err)
	}
	var sp struct {
		Position json.RawMessage `json:"position"`
		MAC      []byte          `json:"mac"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(saved.Parameter.Value)), &sp); err != nil || len(sp.MAC) == 0 {
		t.Errorf("saved position %s (%v); want one signed by the sweep", aws.ToString(saved.Parameter.Value), err)
	}
	// The sweep's own signed position is accepted on the next run.
	sum, err = newTestHandler(t, vars).Handle(ctx, scheduledEvent())
	if err != nil || sum.Restarted {
		t.Errorf("second run: restarted %v (%q), err %v; want its own position accepted", sum.Restarted, sum.RestartReason, err)
	}
}

// TestSweepLeaseStopsAnOverlap: while another sweep holds the lease (an unexpired item in the
// DynamoDB table), a run does nothing; after it is released, a run proceeds.
func TestSweepLeaseStopsAnOverlap(t *testing.T) {
	cfg, client := motoIAM(t)
	ctx := t.Context()
	if _, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("overlap-open"),
		AssumeRolePolicyDocument: aws.String(estate.PolicyOpen)}); err != nil {
		t.Fatal(err)
	}
	createBus(t, cfg)
	keyID, table := sweepKeyAndLock(t, cfg)
	other := lease.New(dynamodb.NewFromConfig(cfg), table, "sweep")
	if ok, err := other.Acquire(ctx, "another-run", 10*time.Minute); err != nil || !ok {
		t.Fatalf("take the lease for another run: %v %v", ok, err)
	}
	vars := map[string]string{"FINDINGS_BUS_NAME": bus, "SWEEP_MODE": "require", "SWEEP_POSITION_PARAMETER": "/test/overlap-position",
		EnvPositionKey: keyID, EnvLockTable: table}
	before := trustPolicies(t, cfg)["overlap-open"]
	sum, err := newTestHandler(t, vars).Handle(ctx, scheduledEvent())
	if err != nil || sum.StopReason != "locked" || sum.Roles != 0 {
		t.Fatalf("run during another's lease: stop %q roles %d err %v; want locked and nothing done", sum.StopReason, sum.Roles, err)
	}
	if got := trustPolicies(t, cfg)["overlap-open"]; got != before {
		t.Errorf("a run without the lease changed a role")
	}
	if err := other.Release(ctx, "another-run"); err != nil {
		t.Fatal(err)
	}
	sum, err = newTestHandler(t, vars).Handle(ctx, scheduledEvent())
	if err != nil || sum.StopReason != "" || !sum.Completed {
		t.Fatalf("run after release: stop %q completed %v err %v", sum.StopReason, sum.Completed, err)
	}
	// The run gave the lease back: another owner can take it at once.
	if ok, err := other.Acquire(ctx, "another-run", time.Minute); err != nil || !ok {
		t.Errorf("lease not released by the run: %v %v", ok, err)
	}
}

// ownerChangesAfterListing wraps the sweep's real IAM adapter: right after ListRoles returns a
// page, the role's owner changes its trust policy in moto (removing an account), as could happen
// in the minutes before the sweep's turn comes.
type ownerChangesAfterListing struct {
	sweep.Roles
	change func()
	once   sync.Once
}

func (o *ownerChangesAfterListing) ListPage(ctx context.Context, marker string) ([]iamrole.Role, string, error) {
	roles, next, err := o.Roles.ListPage(ctx, marker)
	o.once.Do(o.change)
	return roles, next, err
}

// TestSweepDoesNotOverwriteAChangeMadeAfterListing is bypass 6 against moto: the sweep writes
// the fix of the document GetRole returns just before the write, so the account the owner
// removed is not trusted again; 2 IAM calls for the role beyond ListRoles.
func TestSweepDoesNotOverwriteAChangeMadeAfterListing(t *testing.T) {
	cfg, client := motoIAM(t)
	ctx := t.Context()
	listed := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:root","arn:aws:iam::777788889999:root"]},"Action":"sts:AssumeRole"}]}`
	changed := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("shared-role"), AssumeRolePolicyDocument: aws.String(listed)}); err != nil {
		t.Fatal(err)
	}
	createBus(t, cfg)
	h := newTestHandler(t, map[string]string{"FINDINGS_BUS_NAME": bus, "SWEEP_MODE": "require", "SWEEP_POSITION_PARAMETER": "/test/stale-position"})
	h.job.Sweeper.Roles = &ownerChangesAfterListing{Roles: h.job.Sweeper.Roles, change: func() {
		if _, err := client.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("shared-role"), PolicyDocument: aws.String(changed)}); err != nil {
			t.Errorf("owner's change: %v", err)
		}
	}}
	sum, err := h.Handle(ctx, scheduledEvent())
	if err != nil {
		t.Fatal(err)
	}
	now := trustPolicies(t, cfg)["shared-role"]
	if strings.Contains(now, "777788889999") {
		t.Errorf("the sweep trusted the removed account again: %s", now)
	}
	if !strings.Contains(now, "444455556666") || !strings.Contains(now, "sts:SourceIdentity") {
		t.Errorf("role holds %s; want the fix of the owner's current document", now)
	}
	if sum.APICalls["IAM.GetRole"] != 1 || sum.APICalls["IAM.UpdateAssumeRolePolicy"] != 1 || sum.APICalls["IAM.ListRoleTags"] != 0 {
		t.Errorf("calls %v; want one GetRole and one UpdateAssumeRolePolicy, no ListRoleTags", sum.APICalls)
	}
}
