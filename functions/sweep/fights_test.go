package main

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/ledger"
)

// IaC fights on moto (IAM, EventBridge, DynamoDB), through the function's own wiring: the
// Enforce function's write and the sweep's count together in one table; once the role has had
// IAC_FIGHT_THRESHOLD writes today the sweep publishes a conflict naming the stack, does not
// write, and counts the role as open.
func TestSweepIaCFight(t *testing.T) {
	cfg, client := motoIAM(t)
	ctx := t.Context()
	const open = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`
	role, err := client.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("orders-api-DeployRole"), AssumeRolePolicyDocument: aws.String(open),
		Tags: []iamtypes.Tag{{Key: aws.String(guard.TagCloudFormationStack), Value: aws.String("orders-api")}}})
	if err != nil {
		t.Fatal(err)
	}
	createBus(t, cfg)
	db := dynamodb.NewFromConfig(cfg)
	if _, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String("writes"), BillingMode: dbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: dbtypes.ScalarAttributeTypeS}, {AttributeName: aws.String("sk"), AttributeType: dbtypes.ScalarAttributeTypeS}},
		KeySchema:            []dbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: dbtypes.KeyTypeHash}, {AttributeName: aws.String("sk"), KeyType: dbtypes.KeyTypeRange}},
	}); err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(role.Role.Arn)
	log := ledger.NewWrites(db, "writes", 0)
	if err := log.RecordWrite(ctx, guard.Write{RoleARN: arn, At: time.Now().Add(-time.Hour), By: "enforce", EventID: "e1"}); err != nil {
		t.Fatal(err)
	}
	h := newTestHandler(t, map[string]string{"FINDINGS_BUS_NAME": bus, "SWEEP_MODE": "require", "SWEEP_POSITION_PARAMETER": "/test/fights",
		guard.EnvFightTable: "writes", guard.EnvFightThreshold: "2"})
	events := record(h)

	sum, err := h.Handle(ctx, scheduledEvent())
	if err != nil || sum.Counts[guard.Patched] != 1 {
		t.Fatalf("first sweep: counts %v, err %v; want the role patched (second write today)", sum.Counts, err)
	}
	if _, err := client.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("orders-api-DeployRole"), PolicyDocument: aws.String(open)}); err != nil {
		t.Fatal(err)
	}
	sum, err = h.Handle(ctx, scheduledEvent())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Counts[guard.Conflict] != 1 || sum.ComplianceRatio != 0 || sum.APICalls["IAM.UpdateAssumeRolePolicy"] != 0 {
		t.Errorf("second sweep: counts %v, ratio %v, calls %v; want a conflict, counted open, no write", sum.Counts, sum.ComplianceRatio, sum.APICalls)
	}
	if p := trustPolicies(t, cfg)["orders-api-DeployRole"]; strings.Contains(p, "SourceIdentity") {
		t.Errorf("role written in conflict: %s", p)
	}
	decisions, _ := split(t, events())
	last := decisions[len(decisions)-1]
	if last.Decision != guard.Conflict || !strings.Contains(last.Reason, `CloudFormation stack "orders-api"`) || !strings.Contains(string(last.PolicyAfter), "sts:SourceIdentity") {
		t.Errorf("last decision event = %s %q policyAfter %s; want a conflict naming the stack with the fix", last.Decision, last.Reason, last.PolicyAfter)
	}
	writes, err := log.Writes(ctx, arn, time.Now().Add(-24*time.Hour))
	if err != nil || len(writes) != 2 {
		t.Errorf("write log: %v, %v; want the enforce write and the sweep's", writes, err)
	}
}
