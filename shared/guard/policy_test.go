package guard

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

func TestDecide(t *testing.T) {
	const mgmt = "999988887777"
	own := OwnRole{Name: "source-identity-guard-EnforceFunctionRole-EXAMPLE", TrustPolicy: OwnTrustPolicy("111122223333")}
	p := Policy{
		Mode:               ModeRequire,
		ExemptRolePatterns: []string{"legacy-*", "/vendor/*"},
		OwnRoles:           []OwnRole{own},
		ManagementAccount:  mgmt,
		TrustTags:          true,
	}
	untrusted := p
	untrusted.TrustTags = false
	audit := p
	audit.Mode = ModeAudit
	noOrg := p
	noOrg.ManagementAccount = ""
	compliant := fixed(t, awsPolicy, trustpolicy.ModeRequire)
	mgmtTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + mgmt + `:root"},"Action":"sts:AssumeRole"}]}`
	slrTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + mgmt + `:` + stackSetsOrgAdminRole + `"},"Action":"sts:AssumeRole"}]}`
	mgmtAndOutsider := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["` + mgmt + `","arn:aws:iam::444455556666:root"]},"Action":"sts:AssumeRole"}]}`
	mgmtNotAction := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + mgmt + `"},"NotAction":"sts:TagSession"}]}`
	ownChanged := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`
	tests := []struct {
		name           string
		policy         Policy
		role           iamrole.Role
		wantDecision   Decision
		wantReason     string // substring
		wantMode       Mode
		wantTagsMatter bool
		wantAfter      bool
	}{
		{"compliant, tags unread: tags do not matter", p, role("app", "/", compliant, nil), Compliant, "", ModeRequire, false, false},
		{"compliant with exempt tag stays compliant", p, role("app", "/", compliant, map[string]string{TagExempt: "x"}), Compliant, "", ModeRequire, false, false},
		{"non-compliant, tags unread: tags matter", p, role("app", "/", awsPolicy, nil), Patched, "", ModeRequire, true, true},
		{"non-compliant, tags unread, tags not trusted: tags do not matter", untrusted, role("app", "/", awsPolicy, nil), Patched, "", ModeRequire, false, true},
		{"non-compliant, no tags", p, role("app", "/", awsPolicy, map[string]string{}), Patched, "", ModeRequire, false, true},
		{"service-linked path is judged", p, role("app", "/aws-service-role/x/", awsPolicy, map[string]string{}), Patched, "", ModeRequire, false, true},
		{"aws-reserved path is judged", p, role("app", "/aws-reserved/sso.amazonaws.com/", awsPolicy, map[string]string{}), Patched, "", ModeRequire, false, true},
		{"real service-linked role is compliant", p, role("AWSServiceRoleForECS", "/aws-service-role/ecs.amazonaws.com/", servicePolicy, nil), Compliant, "", ModeRequire, false, false},
		{"Organizations role in AWS's shape", p, role("OrganizationAccountAccessRole", "/", mgmtTrust, nil), Exempt, "management account " + mgmt, ModeRequire, false, false},
		{"Control Tower execution role in AWS's shape", p, role("AWSControlTowerExecution", "/", mgmtTrust, nil), Exempt, "Control Tower", ModeRequire, false, false},
		{"self-managed StackSets role in AWS's shape", p, role("AWSCloudFormationStackSetExecutionRole", "/", mgmtTrust, nil), Exempt, "StackSets", ModeRequire, false, false},
		{"service-managed StackSets role trusting the SLR", p, role("stacksets-exec-0123456789abcdef0123456789abcdef", "/", slrTrust, nil), Exempt, "StackSets", ModeRequire, false, false},
		{"AWS name trusting an outside account is judged", p, role("OrganizationAccountAccessRole", "/", awsPolicy, map[string]string{}), Patched, "not the one AWS gives it", ModeRequire, false, true},
		{"AWS name trusting the management account and an outsider", p, role("AWSControlTowerExecution", "/", mgmtAndOutsider, map[string]string{}), Patched, "not the one AWS gives it", ModeRequire, false, true},
		{"AWS name with NotAction is judged", p, role("AWSControlTowerExecution", "/", mgmtNotAction, map[string]string{}), Patched, "not the one AWS gives it", ModeRequire, false, true},
		{"stacksets-exec on another path is judged", p, role("stacksets-exec-x", "/evil/", slrTrust, map[string]string{}), Patched, "on path /evil/", ModeRequire, false, true},
		{"SLR trust only for stacksets-exec", p, role("OrganizationAccountAccessRole", "/", slrTrust, map[string]string{}), Patched, "not the one AWS gives it", ModeRequire, false, true},
		{"AWS name without the organization is judged", noOrg, role("OrganizationAccountAccessRole", "/", mgmtTrust, map[string]string{}), Patched, "management account is unknown", ModeRequire, false, true},
		{"old Control Tower globs exempt nothing", p, role("aws-controltower-AdministratorExecutionRole", "/", awsPolicy, map[string]string{}), Patched, "", ModeRequire, false, true},
		{"guard's own role as the stack gives it", p, role(own.Name, "/source-identity-guard/x/", string(own.TrustPolicy), nil), Exempt, "own role", ModeRequire, false, false},
		{"guard's own role, other case, same policy", p, role(strings.ToLower(own.Name), "/", string(own.TrustPolicy), nil), Exempt, "own role", ModeRequire, false, false},
		{"guard's own role re-trusted: tampered, restored", p, role(own.Name, "/", ownChanged, nil), Tampered, "restored", ModeRequire, false, true},
		{"guard's own role re-trusted in audit: tampered, not restored", audit, role(own.Name, "/", ownChanged, nil), Tampered, "not restored", ModeAudit, false, false},
		{"guard's own role with an exempt tag is still tampered", p, role(own.Name, "/", ownChanged, map[string]string{TagExempt: "x"}), Tampered, "", ModeRequire, false, true},
		{"exempt by name pattern", p, role("legacy-app", "/", awsPolicy, nil), Exempt, "legacy-*", ModeRequire, false, false},
		{"exempt by path pattern", p, role("tool", "/vendor/", awsPolicy, nil), Exempt, "/vendor/*", ModeRequire, false, false},
		{"path pattern does not match another path", p, role("tool", "/team/", awsPolicy, map[string]string{}), Patched, "", ModeRequire, false, true},
		{"exempt tag", p, role("app", "/", awsPolicy, map[string]string{TagExempt: "vendor"}), Exempt, "vendor", ModeRequire, false, false},
		{"exempt tag not trusted: judged, and said so", untrusted, role("app", "/", awsPolicy, map[string]string{TagExempt: "vendor"}), Patched, "ignored", ModeRequire, false, true},
		{"mode tag allow", p, role("app", "/", awsPolicy, map[string]string{TagMode: "allow"}), Patched, "allow", ModeAllow, false, true},
		{"mode tag not trusted", untrusted, role("app", "/", awsPolicy, map[string]string{TagMode: "allow"}), Patched, "ignored", ModeRequire, false, true},
		{"mode tag audit", p, role("app", "/", awsPolicy, map[string]string{TagMode: " Audit "}), WouldPatch, "audit", ModeAudit, false, true},
		{"mode tag raises allow to require", Policy{Mode: ModeAllow, TrustTags: true}, role("app", "/", awsPolicy, map[string]string{TagMode: "require"}), Patched, "require", ModeRequire, false, true},
		{"audit writes nothing whatever the tag says", func() Policy { a := audit; return a }(), role("app", "/", awsPolicy, map[string]string{TagMode: "allow"}), WouldPatch, "audit", ModeAllow, false, true},
		{"audit writes nothing, require tag", audit, role("app", "/", awsPolicy, map[string]string{TagMode: "require"}), WouldPatch, "audit", ModeRequire, false, true},
		{"mode tag invalid", p, role("app", "/", awsPolicy, map[string]string{TagMode: "yes"}), Unfixable, TagMode, ModeRequire, false, false},
		{"allow-compliant under allow", Policy{Mode: ModeAllow}, role("app", "/", fixed(t, awsPolicy, trustpolicy.ModeAllow), map[string]string{}), Compliant, "allow", ModeAllow, false, false},
		{"allow-compliant under require", p, role("app", "/", fixed(t, awsPolicy, trustpolicy.ModeAllow), map[string]string{}), Patched, "", ModeRequire, false, true},
		{"zero Policy means require", Policy{}, role("app", "/", awsPolicy, map[string]string{}), Patched, "require", ModeRequire, false, true},
		{"deleted principal unique id: write and let IAM decide", p, role("app", "/", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["AROAEXAMPLEDELETED01","arn:aws:iam::111122223333:role/ci"]},"Action":"sts:AssumeRole"}]}`, map[string]string{}), Patched, "", ModeRequire, false, true},
		{"unparsable", p, role("app", "/", "{", map[string]string{}), Unfixable, "does not parse", ModeRequire, false, false},
		{"unparsable, tags unread: tags matter", p, role("app", "/", "{", nil), Unfixable, "does not parse", ModeRequire, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.policy.Decide(tt.role)
			if v.Decision != tt.wantDecision || !strings.Contains(v.Reason, tt.wantReason) || v.Mode != tt.wantMode || v.TagsMatter != tt.wantTagsMatter {
				t.Errorf("Decide() = %s %q mode %s tagsMatter %v; want %s (reason containing %q) mode %s tagsMatter %v",
					v.Decision, v.Reason, v.Mode, v.TagsMatter, tt.wantDecision, tt.wantReason, tt.wantMode, tt.wantTagsMatter)
			}
			if (v.After != nil) != tt.wantAfter {
				t.Errorf("Decide().After = %s; want set: %v", v.After, tt.wantAfter)
			}
			if string(v.Before) != string(tt.role.TrustPolicy) {
				t.Errorf("Decide().Before = %s, want the role's policy", v.Before)
			}
			if v.Findings == nil {
				t.Error("Decide().Findings is nil, want non-nil")
			}
		})
	}
}

// TestDecideTagsMatter: when TagsMatter is set, deciding again with the tags read must be
// consistent with what the sweep will see; when it is not set, no tags change the verdict.
func TestDecideTagsMatter(t *testing.T) {
	for _, trust := range []bool{true, false} {
		decideTagsMatter(t, Policy{Mode: ModeRequire, TrustTags: trust})
	}
}

func decideTagsMatter(t *testing.T, p Policy) {
	t.Helper()
	tagSets := []map[string]string{
		{}, {TagExempt: "x"}, {TagMode: "audit"}, {TagMode: "allow"}, {TagMode: "require"}, {TagMode: "bad"},
	}
	policies := []string{awsPolicy, servicePolicy, mixedPolicy, fixed(t, awsPolicy, trustpolicy.ModeRequire), fixed(t, awsPolicy, trustpolicy.ModeAllow), "{"}
	for _, pol := range policies {
		for _, path := range []string{"/", "/aws-service-role/x/"} {
			untagged := p.Decide(role("app", path, pol, nil))
			for _, tags := range tagSets {
				tagged := p.Decide(role("app", path, pol, tags))
				if tagged.TagsMatter {
					t.Errorf("Decide(tags read) set TagsMatter for %s %s %v", path, pol, tags)
				}
				if !untagged.TagsMatter && (tagged.Decision != untagged.Decision || tagged.Mode != untagged.Mode) {
					t.Errorf("TagsMatter false for %s %s, but tags %v change the verdict: %s -> %s", path, pol, tags, untagged.Decision, tagged.Decision)
				}
			}
			if untagged.TagsMatter {
				if got := p.Decide(role("app", path, pol, map[string]string{})); got.Decision != untagged.Decision {
					t.Errorf("verdict without tags read (%s) differs from the verdict with no tags (%s)", untagged.Decision, got.Decision)
				}
			}
		}
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"audit": ModeAudit, "allow": ModeAllow, "require": ModeRequire, " REQUIRE ": ModeRequire} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "enforce", "ignore", "audit,require"} {
		if got, err := ParseMode(in); err == nil {
			t.Errorf("ParseMode(%q) = %q; want an error", in, got)
		}
	}
}

func TestPublishes(t *testing.T) {
	got := map[Decision]bool{}
	fromEvent := map[Decision]bool{}
	for _, d := range []Decision{Compliant, Patched, WouldPatch, Exempt, Skipped, Unfixable, Failed, Tampered, Conflict} {
		got[d] = d.Publishes()
		fromEvent[d] = d.PublishesFromEvent()
	}
	want := map[Decision]bool{Compliant: false, Patched: true, WouldPatch: true, Exempt: false, Skipped: false, Unfixable: true, Failed: true, Tampered: true, Conflict: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Publishes (-want +got):\n%s", diff)
	}
	want[Exempt] = true // every exemption reached from an event is published
	if diff := cmp.Diff(want, fromEvent); diff != "" {
		t.Errorf("PublishesFromEvent (-want +got):\n%s", diff)
	}
}

// TestDecideUnfixableReason: the reason names what needs a person, not the fixable findings a
// refused fix leaves open.
func TestDecideUnfixableReason(t *testing.T) {
	tests := []struct {
		name   string
		policy Policy
		doc    string
		want   string
	}{
		{"too large", Policy{SizeLimit: len(awsPolicy) + 1}, awsPolicy, "needs a person: too-large"},
		{"wildcard principal", Policy{}, wildcardPolicy, "needs a person: wildcard-principal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.policy.Decide(role("app", "/", tt.doc, map[string]string{}))
			if v.Decision != Unfixable || v.Reason != tt.want {
				t.Errorf("Decide() = %s %q, want unfixable %q", v.Decision, v.Reason, tt.want)
			}
		})
	}
}
