package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

// openPolicy is what the "template" keeps re-applying: an outside account, no source identity.
const openPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`

// cfnSession is CloudFormation's session of its service role, as CloudTrail records it.
var cfnSession = "arn:aws:sts::" + motoserver.AccountID + ":assumed-role/cfn-exec-role/AWSCloudFormation"

// IaC fights through the real pieces: the Enforce bootstrap under the Lambda emulator, moto's
// IAM, EventBridge and DynamoDB (the write log, as the template creates it). A role that
// "CloudFormation" re-opens IAC_FIGHT_THRESHOLD+1 times is patched IAC_FIGHT_THRESHOLD times;
// then each event is a published conflict naming the stack, with the fix in policyAfter, and
// the function makes no write.
func TestIaCFightWithCloudFormation(t *testing.T) {
	const threshold = 3
	const table = "fights-cfn"
	h := newHarness(t, "IAC_FIGHT_TABLE="+table, fmt.Sprintf("IAC_FIGHT_THRESHOLD=%d", threshold))
	createWritesTable(t, h, table) // after the harness: it resets moto
	const name, stack = "orders-api-DeployRole-7H2K9Q", "orders-api"
	h.createRole(t, name, "", []byte(openPolicy), map[string]string{guard.TagCloudFormationStack: stack})

	var got []guard.Decision
	for i := 0; i < threshold+2; i++ {
		if i > 0 { // CloudFormation puts its template's policy back
			if _, err := h.iam.UpdateAssumeRolePolicy(h.ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name), PolicyDocument: aws.String(openPolicy)}); err != nil {
				t.Fatal(err)
			}
		}
		out, calls := h.invoke(t, reapplied(t, name, i, "cloudformation.amazonaws.com", true))
		got = append(got, out.Decision)
		wantWrites := 1
		if out.Decision == guard.Conflict {
			wantWrites = 0
		}
		if calls["iam.UpdateAssumeRolePolicy"] != wantWrites || calls["dynamodb.Query"] != 1 || calls["dynamodb.PutItem"] != wantWrites {
			t.Errorf("attempt %d (%s): AWS calls %v; want %d write(s), one Query, %d PutItem", i, out.Decision, calls, wantWrites, wantWrites)
		}
	}
	want := []guard.Decision{guard.Patched, guard.Patched, guard.Patched, guard.Conflict, guard.Conflict}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("decisions (-want +got):\n%s", diff)
	}
	if p := h.trustPolicy(t, name); !jsonEqual(t, p, []byte(openPolicy)) {
		t.Errorf("role written after the conflict: %s", p)
	}

	evs := h.decisions(t)
	if len(evs) != len(want) {
		t.Fatalf("%d decision events; want %d", len(evs), len(want))
	}
	last := evs[len(evs)-1]
	if b, err := json.Marshal(last); err == nil {
		t.Logf("conflict event detail: %s", b) // the sample in docs/iac.md
	}
	if last.Decision != guard.Conflict {
		t.Fatalf("last event decision %s", last.Decision)
	}
	for _, s := range []string{`CloudFormation stack "orders-api"`, cfnSession, "docs/iac.md", "sidguard lint"} {
		if !strings.Contains(last.Reason, s) {
			t.Errorf("conflict reason %q does not mention %q", last.Reason, s)
		}
	}
	checkCompliant(t, last.PolicyAfter, requireRules) // the policy the template should carry
	if last.Trigger == nil || last.Trigger.ActorARN != cfnSession {
		t.Errorf("trigger = %+v; want CloudFormation's session", last.Trigger)
	}
	if n := writeItems(t, h, table); n != threshold {
		t.Errorf("write log holds %d items; want %d", n, threshold)
	}
}

// Terraform (no stack tag): the conflict names Terraform from the user agent, and the caller.
func TestIaCFightWithTerraform(t *testing.T) {
	const table = "fights-tf"
	h := newHarness(t, "IAC_FIGHT_TABLE="+table, "IAC_FIGHT_THRESHOLD=1")
	createWritesTable(t, h, table)
	const name = "deploy"
	h.createRole(t, name, "", []byte(openPolicy), nil)
	ua := "APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.70.0"
	if out, _ := h.invoke(t, reapplied(t, name, 0, ua, false)); out.Decision != guard.Patched {
		t.Fatalf("first: %s (%s)", out.Decision, out.Reason)
	}
	if _, err := h.iam.UpdateAssumeRolePolicy(h.ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name), PolicyDocument: aws.String(openPolicy)}); err != nil {
		t.Fatal(err)
	}
	out, calls := h.invoke(t, reapplied(t, name, 1, ua, false))
	if out.Decision != guard.Conflict || !strings.Contains(out.Reason, "Terraform (user agent Terraform/1.9.5) as arn:aws:iam::"+motoserver.AccountID+":user/ci") {
		t.Errorf("second: %s (%s); want a conflict naming Terraform and the caller", out.Decision, out.Reason)
	}
	if calls["iam.UpdateAssumeRolePolicy"] != 0 || !out.Published {
		t.Errorf("conflict: calls %v, published %v; want no write, published", calls, out.Published)
	}
}

// reapplied is an UpdateAssumeRolePolicy event putting openPolicy on role: by CloudFormation's
// service-role session (cfn) or by an IAM user "ci", with userAgent; attempt makes its id unique.
func reapplied(t *testing.T, role string, attempt int, userAgent string, cfn bool) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(sample(t, "update-assume-role-policy.json"), &ev); err != nil {
		t.Fatal(err)
	}
	d := ev["detail"].(map[string]any)
	d["eventID"] = fmt.Sprintf("fight-%s-%d", role, attempt)
	d["userAgent"] = userAgent
	d["requestParameters"] = map[string]any{"roleName": role, "policyDocument": openPolicy}
	if cfn {
		d["userIdentity"] = map[string]any{
			"type": "AssumedRole", "principalId": "AROAEXAMPLECFNEXEC01:AWSCloudFormation", "arn": cfnSession,
			"accountId": motoserver.AccountID, "invokedBy": "cloudformation.amazonaws.com",
			"sessionContext": map[string]any{"sessionIssuer": map[string]any{"type": "Role", "arn": "arn:aws:iam::" + motoserver.AccountID + ":role/cfn-exec-role"}},
		}
	} else {
		d["userIdentity"] = map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::" + motoserver.AccountID + ":user/ci", "accountId": motoserver.AccountID, "userName": "ci"}
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// createWritesTable creates the write log as the template's TrustPolicyWritesTable does.
func createWritesTable(t *testing.T, h *harness, name string) {
	t.Helper()
	db := dynamodb.NewFromConfig(h.moto.AWSConfig())
	_, err := db.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: dbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []dbtypes.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: dbtypes.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: dbtypes.ScalarAttributeTypeS}},
		KeySchema: []dbtypes.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: dbtypes.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: dbtypes.KeyTypeRange}},
	})
	if err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
}

func writeItems(t *testing.T, h *harness, table string) int {
	t.Helper()
	out, err := dynamodb.NewFromConfig(h.moto.AWSConfig()).Scan(h.ctx, &dynamodb.ScanInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Items)
}
