package cloudtrail

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	alice = Actor{
		Type:        ActorIAMUser,
		PrincipalID: "AIDAEXAMPLEUSER00001",
		ARN:         "arn:aws:iam::111122223333:user/alice",
		AccountID:   "111122223333",
		UserName:    "alice",
	}
	envelopeTime = time.Date(2024, 8, 1, 10, 0, 0, 0, time.UTC)
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseJSON(t *testing.T) {
	tests := []struct {
		file string
		want Call
	}{
		{
			file: "policy-object.json", // hand-written fixtures often hold the document as an object
			want: Call{
				EventName: CreateRole, EventID: "ev-1",
				EventTime: time.Date(2024, 8, 1, 10, 0, 1, 0, time.UTC),
				Account:   "111122223333", Region: "us-east-1",
				RoleName: "hand-written", RolePath: "/team/",
				Policy: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`),
				Actor:  alice,
			},
		},
		{
			file: "policy-missing.json",
			want: Call{
				EventName: UpdateAssumeRolePolicy, EventID: "ev-2", EventTime: envelopeTime,
				Account: "111122223333", Region: "us-east-1", RoleName: "no-document",
				Actor: Actor{Type: ActorIAMUser, ARN: "arn:aws:iam::111122223333:user/alice", UserName: "alice"},
			},
		},
		{
			file: "failed-without-parameters.json", // a failed call changes nothing, so no role name is needed
			want: Call{
				EventName: CreateRole, EventID: "ev-7", EventTime: envelopeTime,
				Account: "111122223333", Region: "us-east-1",
				ErrorCode:    "AccessDenied",
				ErrorMessage: "User: arn:aws:iam::111122223333:user/mallory is not authorized to perform: iam:CreateRole",
				Actor:        Actor{Type: ActorIAMUser, ARN: "arn:aws:iam::111122223333:user/mallory", UserName: "mallory"},
			},
		},
		{
			file: "web-identity-session.json", // unreadable eventTime falls back to the envelope time
			want: Call{
				EventName: UpdateAssumeRolePolicy, EventID: "ev-11", EventTime: envelopeTime,
				Account: "111122223333", Region: "us-east-1", RoleName: "app",
				Policy: []byte(`{"Version":"2012-10-17","Statement":[]}`),
				Actor: Actor{
					Type:              ActorAssumedRole,
					ARN:               "arn:aws:sts::111122223333:assumed-role/github-deploy/gha-1234",
					PrincipalID:       "AROAEXAMPLEGHA000001:gha-1234",
					AccountID:         "111122223333",
					UserName:          "github-deploy",
					SessionIssuerARN:  "arn:aws:iam::111122223333:role/ci/github-deploy",
					FederatedProvider: "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
				},
			},
		},
		{
			file: "aws-service.json",
			want: Call{
				EventName: CreateRole, EventID: "ev-12", EventTime: envelopeTime,
				Account: "111122223333", Region: "us-east-1",
				RoleName: "svc-made", RolePath: "/service-role/",
				RoleARN: "arn:aws:iam::111122223333:role/service-role/svc-made", RoleID: "AROAEXAMPLEROLE00012",
				Actor: Actor{Type: ActorAWSService, InvokedBy: "lambda.amazonaws.com"},
			},
		},
		{
			file: "identity-center-user.json", // a response of an unexpected shape is ignored
			want: Call{
				EventName: CreateRole, EventID: "ev-13", EventTime: envelopeTime,
				Account: "111122223333", Region: "us-east-1", RoleName: "from-portal",
				Actor: Actor{Type: ActorIdentityCenterUser, AccountID: "111122223333"},
			},
		},
		{
			file: "response-role-object.json", // an undocumented userIdentity type is kept as is
			want: Call{
				EventName: CreateRole, EventID: "ev-14", EventTime: envelopeTime,
				Account: "111122223333", Region: "us-east-1",
				RoleName: "from-saml", RolePath: "/",
				RoleARN: "arn:aws:iam::111122223333:role/from-saml", RoleID: "AROAEXAMPLEROLE00014",
				Actor: Actor{Type: "SAMLUser", PrincipalID: "SAMLEXAMPLE:jane", UserName: "jane"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParseJSON(readFile(t, filepath.Join("testdata", tt.file)))
			if err != nil {
				t.Fatalf("ParseJSON(%s) error: %v", tt.file, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseJSON(%s) mismatch (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}

func TestParseJSONErrors(t *testing.T) {
	tests := []struct {
		file     string
		want     error
		mentions string // the error names the field or value at fault
	}{
		{"not-json.txt", ErrMalformed, "not a JSON object"},
		{"array.json", ErrMalformed, "not a JSON object"},
		{"envelope-bad-time.json", ErrMalformed, "decode EventBridge event"},
		{"detail-string.json", ErrMalformed, "detail is not a JSON object"},
		{"detail-null.json", ErrMalformed, "detail is not a JSON object"},
		{"detail-missing.json", ErrMalformed, "detail is not a JSON object"},
		{"role-name-missing.json", ErrMalformed, "requestParameters.roleName"},
		{"role-name-not-string.json", ErrMalformed, "requestParameters.roleName"},
		{"request-parameters-null.json", ErrMalformed, "requestParameters: missing"},
		{"policy-number.json", ErrMalformed, "requestParameters.policyDocument"},
		{"source-s3.json", ErrNotCloudTrail, `source "aws.s3"`},
		{"detail-type-scheduled.json", ErrNotCloudTrail, `detail-type "Scheduled Event"`},
		{"event-source-sts.json", ErrNotCloudTrail, `eventSource "sts.amazonaws.com"`},
		{"event-name-delete-role.json", ErrUnsupportedEvent, `eventName "DeleteRole"`},
		{"event-name-wrong-case.json", ErrUnsupportedEvent, `eventName "createrole"`}, // EventBridge matching is case-sensitive
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := ParseJSON(readFile(t, filepath.Join("testdata", tt.file)))
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseJSON(%s) error = %v; want %v", tt.file, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.mentions) {
				t.Errorf("ParseJSON(%s) error = %q; want it to mention %q", tt.file, err, tt.mentions)
			}
		})
	}
}

// TestParseJSONFixturesCovered makes sure every fixture in testdata/ is exercised by a table.
func TestParseJSONFixturesCovered(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil {
		t.Fatal(err)
	}
	src := string(readFile(t, "call_test.go"))
	for _, f := range files {
		if fi, err := os.Stat(f); err != nil || fi.IsDir() {
			continue
		}
		if !strings.Contains(src, `"`+filepath.Base(f)+`"`) {
			t.Errorf("fixture %s is not used by any test", f)
		}
	}
}

func TestCallFailed(t *testing.T) {
	if (Call{}).Failed() {
		t.Error("Call{}.Failed() = true; want false")
	}
	if !(Call{ErrorCode: "AccessDenied"}).Failed() {
		t.Error(`Call{ErrorCode: "AccessDenied"}.Failed() = false; want true`)
	}
}

func TestActorString(t *testing.T) {
	tests := []struct {
		actor Actor
		want  string
	}{
		{Actor{}, "unknown actor"},
		{alice, "IAMUser arn:aws:iam::111122223333:user/alice"},
		{
			Actor{Type: ActorAssumedRole, ARN: "arn:aws:sts::111122223333:assumed-role/Admin/bob",
				SessionIssuerARN: "arn:aws:iam::111122223333:role/Admin", SourceIdentity: "bob@example.com"},
			`AssumedRole arn:aws:sts::111122223333:assumed-role/Admin/bob (role arn:aws:iam::111122223333:role/Admin, source identity "bob@example.com")`,
		},
		{
			Actor{Type: ActorAssumedRole, ARN: "arn:aws:sts::111122223333:assumed-role/Admin/bob",
				SessionIssuerARN: "arn:aws:iam::111122223333:role/Admin"},
			"AssumedRole arn:aws:sts::111122223333:assumed-role/Admin/bob (role arn:aws:iam::111122223333:role/Admin, no source identity)",
		},
		{
			Actor{Type: ActorRoot, ARN: "arn:aws:iam::111122223333:root", PrincipalID: "111122223333", InvokedBy: "sso.amazonaws.com"},
			"Root arn:aws:iam::111122223333:root (invoked by sso.amazonaws.com)",
		},
		{Actor{Type: ActorAWSService, InvokedBy: "lambda.amazonaws.com"}, "AWSService lambda.amazonaws.com"},
		{Actor{Type: ActorIdentityCenterUser, AccountID: "111122223333"}, "IdentityCenterUser"},
		{Actor{Type: "SAMLUser", PrincipalID: "SAMLEXAMPLE:jane"}, "SAMLUser SAMLEXAMPLE:jane"},
	}
	for _, tt := range tests {
		if got := tt.actor.String(); got != tt.want {
			t.Errorf("%#v.String() = %q; want %q", tt.actor, got, tt.want)
		}
	}
}

func TestActorIsSessionOf(t *testing.T) {
	a := Actor{Type: ActorAssumedRole, SessionIssuerARN: "arn:aws:iam::111122223333:role/guard/EnforceRole"}
	tests := []struct {
		roleARN string
		want    bool
	}{
		{"arn:aws:iam::111122223333:role/guard/EnforceRole", true},
		{"arn:aws:iam::111122223333:role/EnforceRole", false}, // the path is part of the ARN
		{"arn:aws:iam::111122223333:role/guard/enforcerole", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := a.IsSessionOf(tt.roleARN); got != tt.want {
			t.Errorf("IsSessionOf(%q) = %v; want %v", tt.roleARN, got, tt.want)
		}
	}
	if (Actor{}).IsSessionOf("") {
		t.Error(`Actor{}.IsSessionOf("") = true; want false`)
	}
}

// The user agent is a hint for people (which client re-applied a policy); an odd value is
// dropped, never a reason to drop the event and leave the role unjudged.
func TestUserAgent(t *testing.T) {
	for _, tc := range []struct {
		dir, file, want string
	}{
		{"../../events", "create-role-service-principal.json", "cloudformation.amazonaws.com"},
		{"../../events", "create-role-mixed-principals.json", "APN/1.0 HashiCorp/1.0 Terraform/1.9.5"},
		{"testdata", "policy-missing.json", ""},        // absent
		{"testdata", "user-agent-not-string.json", ""}, // not a string
	} {
		t.Run(tc.file, func(t *testing.T) {
			c, err := ParseJSON(readFile(t, filepath.Join(tc.dir, tc.file)))
			if err != nil {
				t.Fatalf("ParseJSON: %v", err)
			}
			if c.UserAgent != tc.want {
				t.Errorf("UserAgent = %q; want %q", c.UserAgent, tc.want)
			}
			if c.RoleName == "" {
				t.Errorf("role name lost")
			}
		})
	}
}
