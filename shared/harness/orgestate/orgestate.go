// Package orgestate builds an AWS organization in moto_server for tests, the demo and
// cmd/benchorg: the organization (its management account is moto's default account), member
// accounts, the member role in each, and SDK configurations acting inside a member account.
//
// moto routes a call made with assumed-role credentials to the account of the assumed role, so
// Member(cfg, account) returns a configuration whose IAM calls land in that account. moto never
// evaluates trust policies: which account a call reached, and what it sent, is all a test can
// show with it; whether IAM would allow it is for the engine's own tests (shared/trustpolicy).
package orgestate

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Org is an organization created in moto.
type Org struct {
	ID         string   // o-...
	Management string   // the management account (moto's default account)
	Members    []string // member account ids, in creation order
}

// Create makes an organization and n member accounts with the caller's configuration (moto's
// default account, which becomes the management account).
func Create(ctx context.Context, cfg aws.Config, n int) (Org, error) {
	api := organizations.NewFromConfig(cfg)
	out, err := api.CreateOrganization(ctx, &organizations.CreateOrganizationInput{})
	if err != nil {
		return Org{}, fmt.Errorf("create organization: %w", err)
	}
	o := Org{ID: aws.ToString(out.Organization.Id), Management: aws.ToString(out.Organization.MasterAccountId)}
	for i := range n {
		a, err := api.CreateAccount(ctx, &organizations.CreateAccountInput{
			AccountName: aws.String(fmt.Sprintf("member-%02d", i)),
			Email:       aws.String(fmt.Sprintf("member-%02d@example.com", i)),
		})
		if err != nil {
			return Org{}, fmt.Errorf("create account %d: %w", i, err)
		}
		o.Members = append(o.Members, aws.ToString(a.CreateAccountStatus.AccountId))
	}
	return o, nil
}

// Member returns cfg acting in account: credentials from assuming role (name or path/name) there.
func Member(ctx context.Context, cfg aws.Config, account, role string) (aws.Config, error) {
	out, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String(fmt.Sprintf("arn:aws:iam::%s:role/%s", account, strings.TrimPrefix(role, "/"))),
		RoleSessionName: aws.String("orgestate"),
		SourceIdentity:  aws.String("orgestate"),
	})
	if err != nil {
		return aws.Config{}, fmt.Errorf("assume %s in %s: %w", role, account, err)
	}
	c := cfg.Copy()
	cr := out.Credentials
	c.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
	return c, nil
}

// MemberTrustPolicy is the member role's trust policy as member-template.yaml builds it, for
// the hub roles hubRoles in organization orgID.
func MemberTrustPolicy(orgID string, hubRoles ...string) string {
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Sid":       "HubFunctionsOnly",
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": hubRoles},
			"Action":    []string{"sts:AssumeRole", "sts:SetSourceIdentity"},
			"Condition": map[string]any{
				"StringEquals": map[string]any{"aws:PrincipalOrgID": orgID, "sts:SourceIdentity": "source-identity-guard"},
			},
		}},
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

// CreateMemberRole creates the member role (name or path/name) in the account cfg acts in.
func CreateMemberRole(ctx context.Context, cfg aws.Config, role, trust string) error {
	path, name := "/", role
	if i := strings.LastIndexByte(role, '/'); i >= 0 {
		path, name = "/"+role[:i+1], role[i+1:]
	}
	_, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), Path: aws.String(path),
		AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		return fmt.Errorf("create member role %s: %w", role, err)
	}
	return nil
}

// CreateRoleEvent returns an EventBridge event carrying the CloudTrail record of a CreateRole
// of name with policy in account, made by an IAM user of that account.
func CreateRoleEvent(account, name, policy, eventID string) []byte {
	arn := fmt.Sprintf("arn:aws:iam::%s:role/%s", account, name)
	ev := map[string]any{
		"version": "0", "id": "eb-" + eventID, "detail-type": "AWS API Call via CloudTrail", "source": "aws.iam",
		"account": account, "time": "2026-12-01T08:00:00Z", "region": "us-east-1", "resources": []string{},
		"detail": map[string]any{
			"eventVersion": "1.09",
			"userIdentity": map[string]any{"type": "IAMUser", "principalId": "AIDAEXAMPLEUSER00001",
				"arn": "arn:aws:iam::" + account + ":user/alice", "accountId": account, "userName": "alice"},
			"eventTime": "2026-12-01T08:00:00Z", "eventSource": "iam.amazonaws.com", "eventName": "CreateRole",
			"awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.10", "userAgent": "aws-cli/2.15.0",
			"requestParameters": map[string]any{"roleName": name, "assumeRolePolicyDocument": policy},
			"responseElements": map[string]any{"role": map[string]any{"path": "/", "roleName": name,
				"roleId": "AROAEXAMPLE" + eventID, "arn": arn}},
			"eventID": eventID, "readOnly": false, "eventType": "AwsApiCall", "managementEvent": true,
			"recipientAccountId": account, "eventCategory": "Management",
		},
	}
	b, _ := json.Marshal(ev)
	return b
}
