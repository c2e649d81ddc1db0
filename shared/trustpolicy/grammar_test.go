package trustpolicy

import (
	"errors"
	"strings"
	"testing"
)

// TestPartialWildcardPrincipal: IAM rejects a wildcard in part of a principal ("You cannot use a
// wildcard to match part of a principal name or ARN"), so Parse does too (issue 7, engine
// verdict 4); the CLI then exits 2.
func TestPartialWildcardPrincipal(t *testing.T) {
	for _, tc := range []struct{ principal, where string }{
		{`{"AWS":"arn:aws:iam::111122223333:role/ci-*"}`, "Statement[0].Principal.AWS"},
		{`{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::*:root"]}`, "Statement[0].Principal.AWS"},
		{`{"AWS":"arn:aws:sts::111122223333:assumed-role/ci/*"}`, "Statement[0].Principal.AWS"},
		{`{"Service":"*.amazonaws.com"}`, "Statement[0].Principal.Service"},
		{`{"Federated":"arn:aws:iam::111122223333:saml-provider/*"}`, "Statement[0].Principal.Federated"},
	} {
		_, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + tc.principal + `,"Action":"sts:AssumeRole"}]}`))
		if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.where) || !strings.Contains(err.Error(), "wildcard") {
			t.Errorf("Parse(%s) = %v; want ErrMalformed naming %s and the wildcard", tc.principal, err, tc.where)
		}
	}
	for _, ok := range []string{`"*"`, `{"AWS":"*"}`, `{"AWS":["*","111122223333"]}`} {
		if _, err := Parse([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + ok + `,"Action":"sts:AssumeRole"}]}`)); err != nil {
			t.Errorf("Parse(%s) = %v; want it accepted", ok, err)
		}
	}
}

// TestParseRejectsWhatIAMRejects: what IAM refuses, Parse refuses, naming the element.
func TestParseRejectsWhatIAMRejects(t *testing.T) {
	ok := `"Effect":"Allow","Principal":{"AWS":` + roleA + `},"Action":"sts:AssumeRole"`
	for _, tc := range []struct{ name, in, where string }{
		{"version other", `{"Version":"2012-10-18","Statement":[{` + ok + `}]}`, "Version"},
		{"statement empty object", `{"Version":"2012-10-17","Statement":{}}`, "Statement.Effect"},
		{"sid underscore", `{"Statement":[{"Sid":"A_b",` + ok + `}]}`, "Statement[0].Sid"},
		{"sid duplicate", `{"Statement":[{"Sid":"A",` + ok + `},{"Sid":"A",` + ok + `}]}`, "Statement[1].Sid"},
		{"effect case", `{"Statement":[{"Effect":"allow","Principal":"*","Action":"sts:AssumeRole"}]}`, "Statement[0].Effect"},
		{"resource", `{"Statement":[{` + ok + `,"Resource":"*"}]}`, "Statement[0].Resource"},
		{"not resource", `{"Statement":[{` + ok + `,"NotResource":"*"}]}`, "Statement[0].NotResource"},
		{"not principal", `{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`, "Statement[0].NotPrincipal"},
		{"action and not action", `{"Statement":[{` + ok + `,"NotAction":"x:y"}]}`, "Statement[0].NotAction"},
		{"missing action", `{"Statement":[{"Effect":"Allow","Principal":"*"}]}`, "Statement[0].Action"},
		{"duplicate member", `{"Statement":[{` + ok + `,"Effect":"Allow"}]}`, "duplicate member"},
		{"duplicate condition key in case", `{"Statement":[{` + ok + `,"Condition":{"StringLike":{"a":"1","A":"2"}}}]}`, "Statement[0].Condition.StringLike.A"},
		{"duplicate operator through an escape", `{"Statement":[{` + ok + `,"Condition":{"StringLike":{"a":"1"},"String\u004cike":{"b":"1"}}}]}`, "duplicate member"},
		{"operator case", `{"Statement":[{` + ok + `,"Condition":{"stringLike":{"a":"1"}}}]}`, "Statement[0].Condition.stringLike"},
		{"principal key case", `{"Statement":[{"Effect":"Allow","Principal":{"aws":"111122223333"},"Action":"sts:AssumeRole"}]}`, "Statement[0].Principal.aws"},
		{"empty principal array", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":[]},"Action":"sts:AssumeRole"}]}`, "Statement[0].Principal.AWS"},
		{"character outside Latin-1", `{"Statement":[{` + ok + `,"Condition":{"StringEquals":{"a":"€"}}}]}`, "U+20AC"},
		{"nested junk in a condition", `{"Statement":[{` + ok + `,"Condition":{"StringEquals":{"a":[[[1]]]}}}]}`, "Statement[0].Condition.StringEquals.a[0]"},
		{"null Id", `{"Id":null,"Statement":[{` + ok + `}]}`, "Id"},
		{"trailing garbage", `{"Statement":[{` + ok + `}]} x`, "after the top-level value"},
		{"second document", `{"Statement":[{` + ok + `}]}{}`, "after the top-level value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.where) {
				t.Errorf("Parse error = %v, want ErrMalformed naming %q", err, tc.where)
			}
		})
	}
}
