package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/busqueue"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/lambdaemu"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
	"github.com/source-identity-guard/source-identity-guard/shared/ledger"
	"github.com/source-identity-guard/source-identity-guard/shared/promotion"
	"github.com/source-identity-guard/source-identity-guard/shared/readiness"
)

func TestMain(m *testing.M) { os.Exit(motoserver.RunTests(m)) }

const (
	account = "123456789012" // moto's account
	table   = "evidence"
	bus     = "findings"
	open    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`
	strict  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}]}`
)

func arn(name string) string { return "arn:aws:iam::" + account + ":role/app/" + name }

// estate makes the ledger table, the findings bus with a queue on its decision events, and
// five roles in moto: clean (assumed with a source identity), unused (no evidence), blocked (a
// caller without one), console (switched to in the console) and done (already requires one);
// evidence starts `since` ago (nothing when since is 0).
func estate(t *testing.T, since time.Duration) (*motoserver.Server, *ledger.Ledger, *busqueue.Queue) {
	t.Helper()
	srv := motoserver.Shared(t)
	cfg := srv.AWSConfig()
	ctx := t.Context()
	db := dynamodb.NewFromConfig(cfg)
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          dtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: dtypes.ScalarAttributeTypeS}, {AttributeName: aws.String("sk"), AttributeType: dtypes.ScalarAttributeTypeS}},
		KeySchema:            []dtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: dtypes.KeyTypeHash}, {AttributeName: aws.String("sk"), KeyType: dtypes.KeyTypeRange}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := eventbridge.NewFromConfig(cfg).CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)}); err != nil {
		t.Fatal(err)
	}
	q := busqueue.Start(t, cfg, "decisions", `{"source":["source-identity-guard"],"detail-type":["Trust Policy Decision"]}`, busqueue.Options{Bus: bus})
	ic := iam.NewFromConfig(cfg)
	for name, doc := range map[string]string{"clean": open, "unused": open, "blocked": open, "console": open, "done": strict} {
		if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), Path: aws.String("/app/"), AssumeRolePolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	l := ledger.New(db, table, 0)
	now := time.Now().UTC()
	if since > 0 {
		if _, err := l.Since(ctx, now.Add(-since)); err != nil {
			t.Fatal(err)
		}
	}
	obs := func(role, principal, si string, kind readiness.Kind, console bool, id string) {
		r, _ := readiness.RoleFromARN(arn(role))
		o := readiness.Observation{Kind: kind, Role: r, Caller: readiness.Caller{Principal: principal, Type: "IAMUser"},
			Time: now.Add(-time.Hour), SourceIdentity: si, Console: console, UserAgent: "aws-cli/2.15.0", Client: "aws-cli", EventID: id}
		if err := l.Put(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	alice := "arn:aws:iam::444455556666:user/alice"
	obs("clean", alice, "alice", readiness.KindAssumption, false, "e1")
	obs("blocked", alice, "alice", readiness.KindAssumption, false, "e2")
	obs("blocked", "arn:aws:iam::444455556666:user/bot", "", readiness.KindAssumption, false, "e3")
	obs("console", alice, "", readiness.KindConsole, true, "e4")
	obs("clean", alice, "alice", readiness.KindAssumption, false, "e5")
	return srv, l, q
}

func invoke(t *testing.T, srv *motoserver.Server, setting string) promotion.Summary {
	t.Helper()
	boot := lambdaemu.BuildFunction(t, "./functions/promote")
	emu := lambdaemu.Start(t, lambdaemu.Config{
		Bootstrap: boot, FunctionName: "promote",
		Env: append(srv.Env(), "MODE=allow", "PROMOTION="+setting, "PROMOTION_WINDOW_DAYS=14", "LEDGER_TABLE="+table, "FINDINGS_BUS_NAME="+bus),
	})
	event, err := os.ReadFile(filepath.Join("testdata", "scheduled-event.json"))
	if err != nil {
		t.Fatal(err)
	}
	inv, err := emu.Invoke(t.Context(), event)
	if err != nil {
		t.Fatal(err)
	}
	if f := inv.Failure(); f != "" {
		t.Fatalf("invoke: %s", f)
	}
	var sum promotion.Summary
	if err := json.Unmarshal(inv.Payload, &sum); err != nil {
		t.Fatalf("summary %s: %v", inv.Payload, err)
	}
	return sum
}

type decision struct {
	Decision   guard.Decision     `json:"decision"`
	RoleARN    string             `json:"roleArn"`
	Mode       guard.Mode         `json:"mode"`
	ModeSource string             `json:"modeSource"`
	Action     string             `json:"action"`
	By         string             `json:"by"`
	Evidence   promotion.Evidence `json:"evidence"`
}

func decisions(t *testing.T, q *busqueue.Queue, wait bool) []decision {
	t.Helper()
	var msgs [][]byte
	if wait {
		msgs = q.Wait(t)
	} else {
		msgs = q.Drain(t)
	}
	var out []decision
	for _, m := range msgs {
		var ev struct {
			Detail decision `json:"detail"`
		}
		if err := json.Unmarshal(m, &ev); err != nil {
			t.Fatalf("event %s: %v", m, err)
		}
		out = append(out, ev.Detail)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RoleARN < out[j].RoleARN })
	return out
}

func counts(s promotion.Summary) map[string]int {
	return map[string]int{"roles": s.Roles, "candidates": s.Candidates, "alreadyRequires": s.AlreadyRequires, "alreadyPromoted": s.AlreadyPromoted,
		"notReady": s.NotReady, "consoleUsed": s.ConsoleUsed, "ready": s.Ready, "proposed": s.Proposed, "promoted": s.Promoted, "failed": s.Failed}
}

// PROMOTION=propose under the emulator: ready roles are published as "ready" with the command
// a person runs, nothing is recorded, blocked and console-used roles are left alone.
func TestProposeUnderEmulator(t *testing.T) {
	srv, l, q := estate(t, 30*24*time.Hour)
	sum := invoke(t, srv, "propose")
	want := map[string]int{"roles": 5, "candidates": 4, "alreadyRequires": 1, "alreadyPromoted": 0, "notReady": 2, "consoleUsed": 1,
		"ready": 2, "proposed": 2, "promoted": 0, "failed": 0}
	if diff := cmp.Diff(want, counts(sum)); diff != "" || !sum.Covered {
		t.Fatalf("summary (-want +got):\n%s\n%+v", diff, sum)
	}
	got := decisions(t, q, true)
	if len(got) != 2 || got[0].RoleARN != arn("clean") || got[1].RoleARN != arn("unused") {
		t.Fatalf("decisions %+v", got)
	}
	for _, d := range got {
		if d.Decision != guard.Ready || d.Mode != guard.ModeAllow || d.Action != "sidguard promote --table "+table+" --role "+d.RoleARN {
			t.Errorf("decision %+v", d)
		}
	}
	if got[0].Evidence.Assumptions != 2 || got[1].Evidence.Assumptions != 0 {
		t.Errorf("evidence %+v %+v", got[0].Evidence, got[1].Evidence)
	}
	if recs, err := l.Promotions(t.Context()); err != nil || len(recs) != 0 {
		t.Fatalf("propose recorded promotions: %+v %v", recs, err)
	}
}

// PROMOTION=auto under the emulator: ready roles are recorded (by auto) and published as
// "promoted"; a second run changes nothing (idempotent).
func TestAutoUnderEmulator(t *testing.T) {
	srv, l, q := estate(t, 30*24*time.Hour)
	sum := invoke(t, srv, "auto")
	if sum.Promoted != 2 || sum.NotReady != 2 || sum.ConsoleUsed != 1 || sum.Failed != 0 {
		t.Fatalf("summary %+v", sum)
	}
	got := decisions(t, q, true)
	if len(got) != 2 || got[0].RoleARN != arn("clean") || got[1].RoleARN != arn("unused") {
		t.Fatalf("decisions %+v", got)
	}
	for _, d := range got {
		if d.Decision != guard.Promoted || d.Mode != guard.ModeRequire || d.ModeSource != guard.ModeSourcePromotion || d.By != promotion.ByAuto {
			t.Errorf("decision %+v", d)
		}
	}
	recs, err := l.Promotions(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, r := range recs {
		roles = append(roles, r.RoleARN)
		if r.By != promotion.ByAuto || r.Forced || r.State != promotion.StateRequire || r.Evidence.WindowDays != 14 {
			t.Errorf("record %+v", r)
		}
	}
	sort.Strings(roles)
	if diff := cmp.Diff([]string{arn("clean"), arn("unused")}, roles); diff != "" {
		t.Fatalf("promoted roles (-want +got):\n%s", diff)
	}

	again := invoke(t, srv, "auto")
	if again.AlreadyPromoted != 2 || again.Promoted != 0 {
		t.Fatalf("second run %+v", again)
	}
	if d := decisions(t, q, false); len(d) != 0 {
		t.Fatalf("second run published %+v", d)
	}
}

// A ledger whose evidence began after the window's start (here: the first run records it
// now) makes every role look unused: nothing is proposed or promoted until it covers the window.
func TestNothingBeforeTheEvidenceCoversTheWindow(t *testing.T) {
	srv, l, q := estate(t, 0)
	sum := invoke(t, srv, "auto")
	if sum.Covered || sum.Promoted != 0 || sum.Ready != 0 || len(sum.Warnings) == 0 {
		t.Fatalf("summary %+v", sum)
	}
	if d := decisions(t, q, false); len(d) != 0 {
		t.Fatalf("published %+v", d)
	}
	if recs, _ := l.Promotions(context.Background()); len(recs) != 0 {
		t.Fatalf("recorded %+v", recs)
	}
}
