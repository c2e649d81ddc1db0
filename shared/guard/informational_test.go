package guard

import (
	"testing"

	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// TestDecideInformationalFindings: the engine's informational any-aws-account finding (a role
// that trusts {"AWS": "*"} without a fence) neither blocks the write nor turns a compliant role
// into an unfixable one, and the decision carries it.
func TestDecideInformationalFindings(t *testing.T) {
	has := func(v Verdict) bool {
		for _, f := range v.Findings {
			if f.Code == trustpolicy.CodeAnyAWSAccount {
				return true
			}
		}
		return false
	}
	open := iamrole.Role{Name: "open", Path: "/", Tags: map[string]string{},
		TrustPolicy: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`)}
	v := Policy{Mode: ModeRequire}.Decide(open)
	if v.Decision != Patched || v.After == nil || !has(v) {
		t.Errorf("open role: decision %s (%s), findings %+v; want patched, carrying %s", v.Decision, v.Reason, v.Findings, trustpolicy.CodeAnyAWSAccount)
	}
	fixed := open
	fixed.TrustPolicy = v.After
	for _, m := range []Mode{ModeRequire, ModeAllow, ModeAudit} {
		v := Policy{Mode: m}.Decide(fixed)
		if v.Decision != Compliant || !has(v) {
			t.Errorf("fixed role, mode %s: decision %s (%s), findings %+v; want compliant, carrying %s", m, v.Decision, v.Reason, v.Findings, trustpolicy.CodeAnyAWSAccount)
		}
	}
}
