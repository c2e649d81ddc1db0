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
