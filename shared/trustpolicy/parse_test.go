package trustpolicy

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRejects(t *testing.T) {
	const p = `"Principal":{"AWS":"arn:aws:iam::111122223333:root"}`
	stmt := func(s string) string { return `{"Version":"2012-10-17","Statement":[` + s + `]}` }
	tests := []struct {
		name, in, want string // want: substring of the error
	}{
		{"not JSON", `{"Version":`, "invalid JSON"},
		{"trailing data", `{"Statement":[]} x`, "invalid JSON"},
		{"not an object", `["Statement"]`, "policy: must be a JSON object"},
		{"no Statement", `{"Version":"2012-10-17"}`, "Statement: missing"},
		{"Statement string", `{"Statement":"x"}`, "Statement: must be an object or an array"},
		{"statement not object", stmt(`"x"`), "Statement[0]: must be an object"},
		{"bad Version", `{"Version":"2012-10-18","Statement":[]}`, "Version: must be"},
		{"bad Effect", stmt(`{"Effect":"allow",` + p + `,"Action":"sts:AssumeRole"}`), `Statement[0].Effect: must be "Allow" or "Deny"`},
		{"no Effect", stmt(`{` + p + `,"Action":"sts:AssumeRole"}`), "Statement[0].Effect: missing"},
		{"Resource", stmt(`{"Effect":"Allow",` + p + `,"Action":"sts:AssumeRole","Resource":"*"}`), "Statement[0].Resource: not allowed in a role trust policy"},
		{"NotResource", stmt(`{"Effect":"Allow",` + p + `,"Action":"sts:AssumeRole","NotResource":"*"}`), "Statement[0].NotResource: not allowed"},
		{"NotPrincipal", stmt(`{"Effect":"Deny","NotPrincipal":{"AWS":"*"},"Action":"sts:AssumeRole"}`), "Statement[0].NotPrincipal: not allowed"},
		{"no Principal", stmt(`{"Effect":"Allow","Action":"sts:AssumeRole"}`), "Statement[0].Principal: missing"},
		{"no Action", stmt(`{"Effect":"Allow",` + p + `}`), "Statement[0].Action: missing"},
		{"Action and NotAction", stmt(`{"Effect":"Allow",` + p + `,"Action":"a:b","NotAction":"c:d"}`), "Action or NotAction, not both"},
		{"empty Action array", stmt(`{"Effect":"Allow",` + p + `,"Action":[]}`), "Statement[0].Action: must not be an empty array"},
		{"Action number", stmt(`{"Effect":"Allow",` + p + `,"Action":[1]}`), "Statement[0].Action[0]: must be a string"},
		{"Principal string", stmt(`{"Effect":"Allow","Principal":"arn:aws:iam::111122223333:root","Action":"sts:AssumeRole"}`), `Statement[0].Principal: must be "*" or an object`},
		{"Principal key case", stmt(`{"Effect":"Allow","Principal":{"aws":"*"},"Action":"sts:AssumeRole"}`), "Statement[0].Principal.aws: unknown principal type"},
		{"Service star", stmt(`{"Effect":"Allow","Principal":{"Service":"*"},"Action":"sts:AssumeRole"}`), "Statement[0].Principal.Service"},
		{"Sid underscore", stmt(`{"Sid":"a_b","Effect":"Allow",` + p + `,"Action":"sts:AssumeRole"}`), "Statement[0].Sid"},
		{"Sid duplicate", stmt(`{"Sid":"A","Effect":"Allow",` + p + `,"Action":"sts:AssumeRole"},{"Sid":"A","Effect":"Allow",` + p + `,"Action":"sts:AssumeRole"}`), `Statement[1].Sid: "A" is not unique`},
		{"duplicate member", stmt(`{"Effect":"Allow","Effect":"Deny",` + p + `,"Action":"sts:AssumeRole"}`), `duplicate member "Effect"`},
		{"operator case", stmt(`{"Effect":"Allow",` + p + `,"Action":"sts:AssumeRole","Condition":{"stringEquals":{"sts:ExternalId":"x"}}}`), `Statement[0].Condition.stringEquals: invalid condition operator "stringEquals": operator names are case-sensitive`},
		{"IfExists case", stmt(`{"Effect":"Allow",` + p + `,"Action":"sts:AssumeRole","Condition":{"StringLikeifexists":{"sts:SourceIdentity":"*"}}}`), "suffix must be spelled"},
		{"qualifier case", stmt(`{"Effect":"Allow",` + p + `,"Action":"sts:AssumeRole","Condition":{"forallvalues:StringLike":{"sts:SourceIdentity":"*"}}}`), "set qualifier must be spelled"},
		{"Null IfExists", stmt(`{"Effect":"Allow",` + p + `,"Action":"sts:AssumeRole","Condition":{"NullIfExists":{"sts:SourceIdentity":"true"}}}`), "Null takes no IfExists"},
		{"condition not object", stmt(`{"Effect":"Allow",` + p + `,"Action":"sts:AssumeRole","Condition":{"StringEquals":"x"}}`), "Statement[0].Condition.StringEquals: must be an object"},
		{"condition value object", stmt(`{"Effect":"Allow",` + p + `,"Action":"sts:AssumeRole","Condition":{"StringEquals":{"k":{}}}}`), "Statement[0].Condition.StringEquals.k: condition value must be"},
		{"condition key twice", stmt(`{"Effect":"Allow",` + p + `,"Action":"sts:AssumeRole","Condition":{"StringLike":{"sts:SourceIdentity":"*","STS:sourceidentity":"a"}}}`), "appears twice"},
		{"char above U+00FF", stmt(`{"Sid":"","Effect":"Allow",` + p + `,"Action":"sts:AssumeRole","X":"€"}`), "not allowed in an IAM policy"},
		{"invalid UTF-8", "{\"Statement\":[],\"X\":\"\xff\"}", "invalid UTF-8"},
		{"control char", "{\"Statement\":[],\"X\":\"a\x01\"}", "control character"},
		{"bad escape", `{"Statement":[],"X":"\q"}`, "invalid escape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("Parse(%s) = nil error; want %q", tt.in, tt.want)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("Parse error %v does not wrap ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%s) error = %q; want it to contain %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestParseRoundTrip(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{
			name: "whitespace removed, order and forms kept",
			in:   "{\n  \"Statement\" : { \"Effect\" : \"Allow\", \"Principal\":{\"AWS\":[ \"111122223333\" ]},\n\t\"Action\":\"sts:AssumeRole\" },\r\n \"Version\": \"2008-10-17\"\n}",
			want: `{"Statement":{"Effect":"Allow","Principal":{"AWS":["111122223333"]},"Action":"sts:AssumeRole"},"Version":"2008-10-17"}`,
		},
		{
			name: "no HTML escaping, user escapes kept",
			in:   `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":["a&b<c>","\u0026\/x \" y"]}}}]}`,
			want: `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":["a&b<c>","\u0026\/x \" y"]}}}]}`,
		},
		{
			name: "unknown members, numbers, booleans, null and unknown operators survive",
			in:   `{"Id":"x","Z":{"n":[1.50,-0,2e10,true,null]},"Statement":[{"Sid":"","Effect":"Deny","Principal":"*","NotAction":["iam:*"],"Extra":1,"Condition":{"StringMatchesRegex":{"k":"v"},"NumericLessThan":{"aws:MultiFactorAuthAge":3600},"Bool":{"aws:SecureTransport":false}}}]}`,
			want: `{"Id":"x","Z":{"n":[1.50,-0,2e10,true,null]},"Statement":[{"Sid":"","Effect":"Deny","Principal":"*","NotAction":["iam:*"],"Extra":1,"Condition":{"StringMatchesRegex":{"k":"v"},"NumericLessThan":{"aws:MultiFactorAuthAge":3600},"Bool":{"aws:SecureTransport":false}}}]}`,
		},
		{
			name: "Latin-1 characters and empty statement list",
			in:   `{"Statement":[],"Note":"café ü"}`,
			want: `{"Statement":[],"Note":"café ü"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := string(mustMarshal(t, d))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("MarshalJSON mismatch (-want +got):\n%s", diff)
			}
			if d.Size() != len([]rune(got)) {
				t.Errorf("Size() = %d; want %d (code points of the compact form)", d.Size(), len([]rune(got)))
			}
			assertSameJSON(t, []byte(tt.in), []byte(got))
		})
	}
}

func TestRulesValidate(t *testing.T) {
	tests := []struct {
		name  string
		rules Rules
		ok    bool
	}{
		{"zero", Rules{}, true},
		{"full", Rules{Mode: ModeAllow, Patterns: []string{"*@example.com", "svc-?"}, SizeLimit: 4096,
			Federated: []FederatedRule{{Provider: "*:saml-provider/Okta", Mode: ModeRequire}}}, true},
		{"mode ignore", Rules{Mode: ModeIgnore}, false},
		{"size too big", Rules{SizeLimit: MaxSizeLimit + 1}, false},
		{"size negative", Rules{SizeLimit: -1}, false},
		{"pattern variable", Rules{Patterns: []string{"${aws:username}"}}, false},
		{"pattern aws prefix", Rules{Patterns: []string{"aws:x"}}, false},
		{"pattern empty", Rules{Patterns: []string{""}}, false},
		{"pattern one character", Rules{Patterns: []string{"a"}}, false},
		{"pattern one wildcard character", Rules{Patterns: []string{"?"}}, false},
		{"pattern one character and star", Rules{Patterns: []string{"a*"}}, true},
		{"pattern two characters", Rules{Patterns: []string{"ab"}}, true},
		{"pattern 65 characters", Rules{Patterns: []string{strings.Repeat("a", 65)}}, false},
		{"pattern 64 characters and star", Rules{Patterns: []string{strings.Repeat("a", 64) + "*"}}, true},
		{"federated no provider", Rules{Federated: []FederatedRule{{Mode: ModeAllow}}}, false},
		{"federated bad mode", Rules{Federated: []FederatedRule{{Provider: "*", Mode: "on"}}}, false},
	}
	for _, tt := range tests {
		if err := tt.rules.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v; want ok=%v", tt.name, err, tt.ok)
		}
	}
	for _, s := range []string{"allow", "require"} {
		if m, err := ParseMode(s); err != nil || string(m) != s {
			t.Errorf("ParseMode(%q) = %q, %v", s, m, err)
		}
	}
	if _, err := ParseMode("ignore"); err == nil {
		t.Error(`ParseMode("ignore") = nil error`)
	}
}

func TestFixLeavesInputAndReturnsSamePointer(t *testing.T) {
	d, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	got, fs := Fix(d, Rules{})
	if got != d || len(fs) != 0 {
		t.Errorf("Fix(service-only) = %p, %v; want the input pointer and no findings", got, fs)
	}
}

func TestFixSizeLimit(t *testing.T) {
	in := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`)
	d, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		limit     int
		wantFixed bool
	}{{d.Size() + 79, false}, {d.Size() + 80, true}, {0, true}} {
		got, fs := Fix(d, Rules{SizeLimit: tt.limit})
		var codes []Code
		for _, f := range fs {
			codes = append(codes, f.Code)
		}
		want := []Code{CodeMissingSetSourceIdentity, CodeMissingCondition}
		if !tt.wantFixed {
			want = append(want, CodeTooLarge)
		}
		if diff := cmp.Diff(want, codes); diff != "" {
			t.Errorf("limit %d: codes (-want +got):\n%s", tt.limit, diff)
		}
		if (got != d) != tt.wantFixed {
			t.Errorf("limit %d: changed = %v; want %v (size after %d)", tt.limit, got != d, tt.wantFixed, got.Size())
		}
	}
}
