package main

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

// TestScanReadsTheManagementAccount: scan applies the AWS-created roles' exemption as the
// functions do. The Organizations access role, at path / and trusting only the management
// account, is exempt once the organization can be read; without an organization it is judged
// like any other role (and would be patched).
func TestScanReadsTheManagementAccount(t *testing.T) {
	srv := scanMoto(t)
	ctx := t.Context()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` +
		motoserver.AccountID + `:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := iam.NewFromConfig(srv.AWSConfig()).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("OrganizationAccountAccessRole"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	decision := func() guard.Decision {
		t.Helper()
		out, stderr, code := runScan(t, "--format", "json")
		if code == exitUsage {
			t.Fatalf("scan failed: %s", stderr)
		}
		for _, l := range jsonLines(t, out) {
			if l.Role == "OrganizationAccountAccessRole" {
				return l.Decision
			}
		}
		t.Fatalf("no record for OrganizationAccountAccessRole in %s", out)
		return ""
	}
	if got := decision(); got != guard.WouldPatch {
		t.Errorf("without an organization: %s, want %s (judged like any other role)", got, guard.WouldPatch)
	}
	if _, err := organizations.NewFromConfig(srv.AWSConfig()).CreateOrganization(ctx,
		&organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		t.Fatal(err)
	}
	if got := decision(); got != guard.Exempt {
		t.Errorf("in an organization managed by this account: %s, want %s", got, guard.Exempt)
	}
}
