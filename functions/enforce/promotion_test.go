package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/busqueue"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/callcount"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
	"github.com/source-identity-guard/source-identity-guard/shared/ledger"
	"github.com/source-identity-guard/source-identity-guard/shared/promotion"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// TestGuardHonoursPromotionAgainstMoto: with MODE=allow and PROMOTION_TABLE, the
// real adapters against moto judge a role promoted in the ledger under require (one GetItem,
// modeSource "promotion" on the bus) and any other role under allow; a role that already
// requires a source identity costs no ledger read.
func TestGuardHonoursPromotionAgainstMoto(t *testing.T) {
	srv := motoserver.Start(t)
	proxy, err := callcount.Start(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	ctx := t.Context()
	cfg := srv.AWSConfig()
	db := dynamodb.NewFromConfig(cfg)
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("evidence"),
		BillingMode:          dtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: dtypes.ScalarAttributeTypeS}, {AttributeName: aws.String("sk"), AttributeType: dtypes.ScalarAttributeTypeS}},
		KeySchema:            []dtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: dtypes.KeyTypeHash}, {AttributeName: aws.String("sk"), KeyType: dtypes.KeyTypeRange}},
	}); err != nil {
		t.Fatal(err)
	}
	iamc := iam.NewFromConfig(cfg)
	for _, name := range []string{"promoted-app", "plain-app"} {
		if _, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(awsPolicy)}); err != nil {
			t.Fatal(err)
		}
	}
	rec := promotion.Record{RoleARN: "arn:aws:iam::" + motoserver.AccountID + ":role/promoted-app", State: promotion.StateRequire,
		At: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), By: promotion.ByAuto}
	if err := ledger.New(db, "evidence", 0).PutPromotion(ctx, rec); err != nil {
		t.Fatal(err)
	}
	q := busqueue.Start(t, cfg, "decisions", fmt.Sprintf(`{"source":[%q],"detail-type":[%q]}`, guard.EventSource, guard.EventDetailType), busqueue.Options{})

	env := map[string]string{"MODE": "allow", "PROMOTION_TABLE": "evidence"}
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	env["AWS_ENDPOINT_URL"] = proxy.URL
	g, err := newGuard(lookupFrom(env), slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	patchAndRead := map[string]int{"iam.GetRole": 1, "dynamodb.GetItem": 1, "iam.UpdateAssumeRolePolicy": 1, "events.PutEvents": 1}
	for _, tt := range []struct {
		role       string
		modeSource string
		mode       trustpolicy.Mode
	}{
		{"promoted-app", guard.ModeSourcePromotion, trustpolicy.ModeRequire},
		{"plain-app", "", trustpolicy.ModeAllow},
	} {
		proxy.Reset()
		out, err := g.Handle(ctx, createRoleEvent(t, tt.role, awsPolicy))
		if err != nil {
			t.Fatal(err)
		}
		if out.Decision != guard.Patched || out.ModeSource != tt.modeSource {
			t.Fatalf("%s: %s (%q): %s", tt.role, out.Decision, out.ModeSource, out.Reason)
		}
		if diff := cmp.Diff(patchAndRead, proxy.Counts()); diff != "" {
			t.Errorf("%s API calls (-want +got):\n%s", tt.role, diff)
		}
		doc, err := trustpolicy.Parse([]byte(getPolicy(t, iamc, tt.role)))
		if err != nil {
			t.Fatal(err)
		}
		if f := trustpolicy.Check(doc, trustpolicy.Rules{Mode: tt.mode}); len(f) != 0 {
			t.Errorf("%s: patched policy has findings under %s: %v", tt.role, tt.mode, f)
		}
		if tt.mode == trustpolicy.ModeAllow {
			if f := trustpolicy.Check(doc, trustpolicy.Rules{Mode: trustpolicy.ModeRequire}); len(f) == 0 {
				t.Errorf("%s: not promoted, yet its policy requires a source identity", tt.role)
			}
		}
	}
	// The promoted role now requires a source identity: compliant, and no ledger read.
	proxy.Reset()
	if out, err := g.Handle(ctx, createRoleEvent(t, "promoted-app", awsPolicy)); err != nil || out.Decision != guard.Compliant {
		t.Fatalf("second event: %+v %v", out, err)
	}
	if diff := cmp.Diff(map[string]int{"iam.GetRole": 1}, proxy.Counts()); diff != "" {
		t.Errorf("second event API calls (-want +got):\n%s", diff)
	}
	sources := map[string]string{}
	for _, body := range q.Wait(t) {
		var ev struct {
			Detail guard.DecisionEvent `json:"detail"`
		}
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Fatal(err)
		}
		sources[ev.Detail.RoleName] = string(ev.Detail.Mode) + "/" + ev.Detail.ModeSource
	}
	if diff := cmp.Diff(map[string]string{"promoted-app": "require/promotion", "plain-app": "allow/stack"}, sources); diff != "" {
		t.Errorf("decision events (-want +got):\n%s", diff)
	}
}
