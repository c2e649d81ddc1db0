package cloudtrail

import (
	"encoding/json"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestSampleEvents decodes every sample in events/ (the files `sam local invoke -e` uses).
// A sample without an expectation here, or an expectation without a sample, fails the test.
func TestSampleEvents(t *testing.T) {
	const acct = "111122223333"
	admin := Actor{
		Type:             ActorAssumedRole,
		ARN:              "arn:aws:sts::111122223333:assumed-role/PlatformAdmin/bob",
		PrincipalID:      "AROAEXAMPLEADMIN0001:bob",
		AccountID:        acct,
		UserName:         "PlatformAdmin",
		SessionIssuerARN: "arn:aws:iam::111122223333:role/PlatformAdmin",
		SourceIdentity:   "bob@example.com",
	}
	at := func(s string) time.Time {
		t.Helper()
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	type want struct {
		call Call
		err  error
	}
	wants := map[string]want{
		"create-role-aws-principal.json": {call: Call{
			UserAgent: "aws-cli/2.15.0",
			EventName: CreateRole, EventID: "5e6f7a8b-0000-4000-8000-000000000001",
			EventTime: at("2024-08-01T13:37:41Z"), Account: acct, Region: "us-east-1",
			RoleName: "app-deployer", RolePath: "/",
			RoleARN: "arn:aws:iam::111122223333:role/app-deployer", RoleID: "AROAEXAMPLEROLE00001",
			Policy: []byte("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Principal\": {\n        \"AWS\": \"arn:aws:iam::444455556666:root\"\n      },\n      \"Action\": \"sts:AssumeRole\"\n    }\n  ]\n}"),
			Actor:  alice,
		}},
		"create-role-service-principal.json": {call: Call{
			UserAgent: "cloudformation.amazonaws.com",
			EventName: CreateRole, EventID: "5e6f7a8b-0000-4000-8000-000000000003",
			EventTime: at("2024-08-01T14:02:13Z"), Account: acct, Region: "us-east-1",
			RoleName: "orders-api-FunctionRole-7H2K9Q", RolePath: "/",
			RoleARN: "arn:aws:iam::111122223333:role/orders-api-FunctionRole-7H2K9Q", RoleID: "AROAEXAMPLEROLE00003",
			Policy: []byte(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}`),
			Actor: Actor{
				Type:             ActorAssumedRole,
				ARN:              "arn:aws:sts::111122223333:assumed-role/cfn-exec-role/AWSCloudFormation",
				PrincipalID:      "AROAEXAMPLECFNEXEC01:AWSCloudFormation",
				AccountID:        acct,
				UserName:         "cfn-exec-role",
				SessionIssuerARN: "arn:aws:iam::111122223333:role/cfn-exec-role",
				InvokedBy:        "cloudformation.amazonaws.com",
			},
		}},
		"create-role-mixed-principals.json": {call: Call{
			UserAgent: "APN/1.0 HashiCorp/1.0 Terraform/1.9.5",
			EventName: CreateRole, EventID: "5e6f7a8b-0000-4000-8000-000000000004",
			EventTime: at("2024-08-01T14:20:05Z"), Account: acct, Region: "us-east-1",
			RoleName: "batch-worker", RolePath: "/workloads/",
			RoleARN: "arn:aws:iam::111122223333:role/workloads/batch-worker", RoleID: "AROAEXAMPLEROLE00004",
			Policy: []byte("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Sid\": \"TrustEc2AndCi\",\n      \"Effect\": \"Allow\",\n      \"Principal\": {\n        \"Service\": \"ec2.amazonaws.com\",\n        \"AWS\": [\n          \"arn:aws:iam::111122223333:role/ci-runner\",\n          \"arn:aws:iam::444455556666:root\"\n        ]\n      },\n      \"Action\": \"sts:AssumeRole\"\n    }\n  ]\n}"),
			Actor:  alice,
		}},
		"update-assume-role-policy.json": {call: Call{
			UserAgent: "aws-cli/2.15.0",
			EventName: UpdateAssumeRolePolicy, EventID: "5e6f7a8b-0000-4000-8000-000000000002",
			EventTime: at("2024-08-01T13:29:57Z"), Account: acct, Region: "us-east-1",
			RoleName: "build-role",
			Policy:   []byte("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Principal\": {\n        \"Service\": \"ec2.amazonaws.com\"\n      },\n      \"Action\": \"sts:AssumeRole\"\n    },\n    {\n      \"Effect\": \"Allow\",\n      \"Principal\": {\n        \"AWS\": \"arn:aws:iam::111122223333:role/ci-runner\"\n      },\n      \"Action\": \"sts:AssumeRole\"\n    }\n  ]\n}"),
			Actor:    admin,
		}},
		"failed-call.json": {call: Call{
			UserAgent: "aws-cli/2.15.0",
			EventName: UpdateAssumeRolePolicy, EventID: "5e6f7a8b-0000-4000-8000-000000000005",
			EventTime: at("2024-08-01T15:01:44Z"), Account: acct, Region: "us-east-1",
			RoleName:     "build-role",
			Policy:       []byte("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Principal\": {\n        \"AWS\": \"arn:aws:iam::111122223333:role/deleted-role\"\n      },\n      \"Action\": \"sts:AssumeRole\"\n    }\n  ]\n}"),
			ErrorCode:    "MalformedPolicyDocumentException",
			ErrorMessage: `Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:role/deleted-role"`,
			Actor:        admin,
		}},
		"guard-self-update.json": {call: Call{
			UserAgent: "aws-sdk-go-v2/1.48.0 ua/2.1 os/linux lang/go#1.26.8 md/GOOS#linux md/GOARCH#arm64 api/iam#1.65.0 exec-env/AWS_Lambda_provided.al2023",
			EventName: UpdateAssumeRolePolicy, EventID: "5e6f7a8b-0000-4000-8000-000000000006",
			EventTime: at("2024-08-01T13:30:03Z"), Account: acct, Region: "us-east-1",
			RoleName: "build-role",
			Policy:   []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/ci-runner"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}]}`),
			Actor: Actor{
				Type:             ActorAssumedRole,
				ARN:              "arn:aws:sts::111122223333:assumed-role/source-identity-guard-EnforceFunctionRole-EXAMPLE/source-identity-guard-EnforceFunction-EXAMPLE",
				PrincipalID:      "AROAEXAMPLEGUARD0001:source-identity-guard-EnforceFunction-EXAMPLE",
				AccountID:        acct,
				UserName:         "source-identity-guard-EnforceFunctionRole-EXAMPLE",
				SessionIssuerARN: "arn:aws:iam::111122223333:role/source-identity-guard/source-identity-guard/source-identity-guard-EnforceFunctionRole-EXAMPLE",
			},
		}},
		"create-role-by-root.json": {call: Call{
			UserAgent: "AWS Internal",
			EventName: CreateRole, EventID: "5e6f7a8b-0000-4000-8000-000000000008",
			EventTime: at("2024-08-01T16:11:09Z"), Account: acct, Region: "us-east-1",
			RoleName: "break-glass", RolePath: "/",
			RoleARN: "arn:aws:iam::111122223333:role/break-glass", RoleID: "AROAEXAMPLEROLE00008",
			Policy: []byte(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}]}`),
			Actor:  Actor{Type: ActorRoot, ARN: "arn:aws:iam::111122223333:root", PrincipalID: acct, AccountID: acct},
		}},
		"create-role-identity-center.json": {call: Call{
			UserAgent: "AWS Internal",
			EventName: CreateRole, EventID: "5e6f7a8b-0000-4000-8000-000000000009",
			EventTime: at("2024-08-01T16:30:00Z"), Account: acct, Region: "us-east-1",
			RoleName: "AWSReservedSSO_AdministratorAccess_0123456789abcdef", RolePath: "/aws-reserved/sso.amazonaws.com/",
			RoleARN: "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0123456789abcdef",
			RoleID:  "AROAEXAMPLEROLE00009",
			Policy:  []byte(`{  "Version": "2012-10-17",  "Statement": {    "Effect": "Allow",    "Action": [      "sts:AssumeRoleWithSAML",      "sts:TagSession"    ],    "Principal": {"Federated": "arn:aws:iam::111122223333:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE"},    "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}  }}`),
			Actor:   Actor{Type: ActorRoot, ARN: "arn:aws:iam::111122223333:root", PrincipalID: acct, AccountID: acct, InvokedBy: "sso.amazonaws.com"},
		}},
		"unrelated-iam-event.json": {err: ErrUnsupportedEvent},
		"tag-role.json": {call: Call{
			UserAgent: "aws-cli/2.15.0",
			EventName: TagRole, EventID: "5e6f7a8b-0000-4000-8000-000000000010",
			EventTime: at("2024-08-01T13:37:41Z"), Account: acct, Region: "us-east-1",
			RoleName: "app-deployer", // no policy: the guard reads the role
			Actor:    Actor{Type: ActorIAMUser, ARN: "arn:aws:iam::111122223333:user/alice", PrincipalID: "AIDAEXAMPLEUSER00001", AccountID: acct, UserName: "alice"},
		}},
		"guard-role-retrusted.json": {call: Call{
			UserAgent: "aws-cli/2.15.0",
			EventName: UpdateAssumeRolePolicy, EventID: "5e6f7a8b-0000-4000-8000-000000000011",
			EventTime: at("2024-08-01T13:37:41Z"), Account: acct, Region: "us-east-1",
			RoleName: "source-identity-guard-EnforceFunctionRole-EXAMPLE",
			Policy:   []byte(`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}, {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"}]}`),
			Actor:    Actor{Type: ActorIAMUser, ARN: "arn:aws:iam::111122223333:user/alice", PrincipalID: "AIDAEXAMPLEUSER00001", AccountID: acct, UserName: "alice"},
		}},
	}

	files, err := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no sample events found in events/")
	}
	seen := map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			w, ok := wants[name]
			if !ok {
				t.Fatalf("events/%s has no expectation in TestSampleEvents", name)
			}
			got, err := ParseJSON(readFile(t, f))
			if w.err != nil {
				if !errors.Is(err, w.err) {
					t.Fatalf("ParseJSON(events/%s) error = %v; want %v", name, err, w.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseJSON(events/%s) error: %v", name, err)
			}
			if diff := cmp.Diff(w.call, got); diff != "" {
				t.Errorf("ParseJSON(events/%s) mismatch (-want +got):\n%s", name, diff)
			}
		})
	}
	for name := range wants {
		if !seen[name] {
			t.Errorf("expectation for events/%s but no such file", name)
		}
	}
}

// TestSampleEventsGuardRole pins the execution-role ARN the self-update sample uses: stack
// source-identity-guard, template.yaml's EnforceFunctionRole (path /source-identity-guard/<stack>/).
func TestSampleEventsGuardRole(t *testing.T) {
	c, err := ParseJSON(readFile(t, filepath.Join("..", "..", "events", "guard-self-update.json")))
	if err != nil {
		t.Fatal(err)
	}
	const guardRole = "arn:aws:iam::111122223333:role/source-identity-guard/source-identity-guard/source-identity-guard-EnforceFunctionRole-EXAMPLE"
	if !c.Actor.IsSessionOf(guardRole) {
		t.Errorf("guard-self-update.json: Actor.IsSessionOf(%q) = false; actor %s", guardRole, c.Actor)
	}
}

// TestSampleEventsResponseEncoding checks that the CreateRole samples are realistic: the
// response echoes the submitted document URL-encoded (RFC 3986), the request holds it raw.
func TestSampleEventsResponseEncoding(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "create-role-*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		var ev struct {
			Detail struct {
				RequestParameters struct {
					Doc string `json:"assumeRolePolicyDocument"`
				} `json:"requestParameters"`
				ResponseElements struct {
					Role struct {
						Doc string `json:"assumeRolePolicyDocument"`
					} `json:"role"`
				} `json:"responseElements"`
			} `json:"detail"`
		}
		if err := json.Unmarshal(readFile(t, f), &ev); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		enc := ev.Detail.ResponseElements.Role.Doc
		if strings.ContainsAny(enc, "{}\" :/") {
			t.Errorf("%s: response document is not URL-encoded: %.40s…", f, enc)
		}
		dec, err := url.PathUnescape(enc)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if dec != ev.Detail.RequestParameters.Doc {
			t.Errorf("%s: decoded response document differs from the request document", f)
		}
	}
}
