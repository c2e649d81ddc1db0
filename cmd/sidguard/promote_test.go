package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
	"github.com/source-identity-guard/source-identity-guard/shared/ledger"
	"github.com/source-identity-guard/source-identity-guard/shared/readiness"
)

// TestPromoteAgainstMoto runs sidguard promote against a ledger in moto's DynamoDB, with the
// caller's identity from moto's STS: clean and unused roles are promoted (by the caller), a role
// with a caller without a source identity is refused (naming the caller and what to do), a
// console-used one is refused with a warning unless --force (then recorded forced), and --force
// does not override a terminal caller without a source identity.
func TestPromoteAgainstMoto(t *testing.T) {
	srv := motoserver.Start(t)
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	ctx := context.Background()
	db := dynamodb.NewFromConfig(srv.AWSConfig())
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("evidence"),
		BillingMode:          dtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: dtypes.ScalarAttributeTypeS}, {AttributeName: aws.String("sk"), AttributeType: dtypes.ScalarAttributeTypeS}},
		KeySchema:            []dtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: dtypes.KeyTypeHash}, {AttributeName: aws.String("sk"), KeyType: dtypes.KeyTypeRange}},
	}); err != nil {
		t.Fatal(err)
	}
	l := ledger.New(db, "evidence", 0)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if _, err := l.Since(ctx, now.Add(-30*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	arn := func(name string) string { return "arn:aws:iam::111122223333:role/app/" + name }
	n := 0
	put := func(role, principal, si string, kind readiness.Kind, console bool) {
		n++
		r, _ := readiness.RoleFromARN(arn(role))
		if err := l.Put(ctx, readiness.Observation{Kind: kind, Role: r, Caller: readiness.Caller{Principal: principal, Type: "IAMUser"},
			Time: now.Add(-time.Hour), SourceIdentity: si, Console: console, UserAgent: "aws-cli/2.15.0", Client: "aws-cli", EventID: string(rune('a' + n))}); err != nil {
			t.Fatal(err)
		}
	}
	alice, bot := "arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:user/bot"
	put("clean", alice, "alice", readiness.KindAssumption, false)
	put("blocked", bot, "", readiness.KindAssumption, false)
	put("console", alice, "", readiness.KindConsole, true)
	put("console", alice, "", readiness.KindAssumption, true)
	put("mixed", alice, "", readiness.KindConsole, true)
	put("mixed", bot, "", readiness.KindAssumption, false)

	promote := func(args ...string) (string, string, int) {
		return runCase(t, cliCase{args: append([]string{"promote", "--table", "evidence", "--now", "2026-12-01T00:00:00Z"}, args...)})
	}
	tests := []struct {
		name   string
		args   []string
		exit   int
		stdout []string
		stderr []string
		forced *bool // recorded: nil means no record
	}{
		{"dry run records nothing", []string{"--role", arn("clean"), "--dry-run"}, exitOK, []string{"would promote to require (dry run)"}, nil, nil},
		{"clean role", []string{"--role", arn("clean")}, exitOK, []string{"promoted to require by arn:aws:", "its 1 assumption carried a source identity"}, nil, ptr(false)},
		{"clean role again", []string{"--role", arn("clean")}, exitOK, []string{"already promoted"}, nil, ptr(false)},
		{"unused role", []string{"--role", arn("unused")}, exitOK, []string{"nobody assumed it"}, nil, ptr(false)},
		{"blocked role", []string{"--role", arn("blocked")}, exitFindings, []string{"REFUSED", bot, "last 2026-11-30T23:00:00Z with aws-cli/2.15.0", "to do: AWS CLI"}, nil, nil},
		{"blocked role, forced", []string{"--role", arn("blocked"), "--force"}, exitFindings, []string{"REFUSED", bot}, nil, nil},
		{"console role", []string{"--role", arn("console")}, exitFindings, []string{"REFUSED", "console-used"}, []string{"warning:", "--force"}, nil},
		{"console role, forced", []string{"--role", arn("console"), "--force"}, exitOK, []string{"promoted to require", "(forced: console-used)"}, nil, ptr(true)},
		{"console plus terminal caller, forced", []string{"--role", arn("mixed"), "--force"}, exitFindings, []string{"REFUSED", bot}, nil, nil},
		{"not a role ARN", []string{"--role", "deployer"}, exitUsage, nil, []string{"want an IAM role ARN"}, nil},
		{"window too long", []string{"--role", arn("other"), "--window", "400"}, exitUsage, nil, []string{"window 400 days"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, exit := promote(tt.args...)
			if exit != tt.exit {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", exit, tt.exit, stdout, stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
			role := tt.args[1]
			rec, ok, err := l.Promotion(ctx, role)
			if err != nil && tt.exit != exitUsage {
				t.Fatal(err)
			}
			if (tt.forced != nil) != ok {
				t.Fatalf("recorded %v (%+v), want %v", ok, rec, tt.forced != nil)
			}
			if ok && (rec.Forced != *tt.forced || !strings.HasPrefix(rec.By, "arn:aws:") || rec.By == "auto") {
				t.Fatalf("record %+v", rec)
			}
		})
	}
	// Unusable input: a table that does not exist.
	if _, stderr, exit := runCase(t, cliCase{args: []string{"promote", "--table", "missing", "--role", arn("clean")}}); exit != exitUsage || !strings.Contains(stderr, "missing") {
		t.Fatalf("missing table: exit %d\n%s", exit, stderr)
	}
}

func ptr[T any](v T) *T { return &v }
