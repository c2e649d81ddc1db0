package guard

import (
	"encoding/json"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
)

const propMgmt = "999988887777"

// genRole draws roles an attacker could create: AWS role names (and near misses) on any path,
// trust policies that mix the management account, an outsider, services and wildcards, and any
// of the guard's tags.
func genRole(t *rapid.T) iamrole.Role {
	name := rapid.SampledFrom([]string{
		"OrganizationAccountAccessRole", "AWSControlTowerExecution", "AWSCloudFormationStackSetExecutionRole",
		"stacksets-exec-0123", "stacksets-exec-", "organizationaccountaccessrole", "app", "guard-role", "GUARD-ROLE",
	}).Draw(t, "name")
	path := rapid.SampledFrom([]string{"/", "/evil/", "/aws-service-role/x/", "/aws-reserved/sso.amazonaws.com/"}).Draw(t, "path")
	principals := rapid.SliceOfN(rapid.SampledFrom([]string{
		"arn:aws:iam::" + propMgmt + ":root", propMgmt, "arn:aws:iam::444455556666:root", "*",
		"arn:aws:iam::" + propMgmt + ":" + stackSetsOrgAdminRole, "arn:aws:iam::" + propMgmt + ":role/admin",
	}), 1, 3).Draw(t, "principals")
	action := rapid.SampledFrom([]any{"sts:AssumeRole", []string{"sts:AssumeRole", "sts:TagSession"}, "sts:*"}).Draw(t, "action")
	st := map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": principals}, "Action": action}
	stmts := []any{st}
	if rapid.Bool().Draw(t, "service") {
		stmts = append(stmts, map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
	}
	doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	if name == "guard-role" && rapid.Bool().Draw(t, "intact") {
		doc = OwnTrustPolicy("111122223333")
	}
	tags := map[string]string{}
	if rapid.Bool().Draw(t, "exemptTag") {
		tags[TagExempt] = "x"
	}
	if rapid.Bool().Draw(t, "modeTag") {
		tags[TagMode] = rapid.SampledFrom([]string{"audit", "allow", "require", "bogus"}).Draw(t, "mode")
	}
	return iamrole.Role{Name: name, Path: path, TrustPolicy: doc, Tags: tags}
}

func genPolicy(t *rapid.T) Policy {
	p := Policy{
		Mode:      rapid.SampledFrom([]Mode{ModeAudit, ModeAllow, ModeRequire}).Draw(t, "globalMode"),
		TrustTags: rapid.Bool().Draw(t, "trustTags"),
		OwnRoles:  []OwnRole{{Name: "guard-role", TrustPolicy: OwnTrustPolicy("111122223333")}},
	}
	if rapid.Bool().Draw(t, "org") {
		p.ManagementAccount = propMgmt
	}
	return p
}

// Properties of Decide that close the bypasses, over drawn roles and settings:
//   - an AWS-role exemption needs the exact name, path "/", a known management account, and a
//     trust policy whose every AWS principal is the management account (or its StackSets role);
//   - no role is exempt for its path;
//   - with tags not trusted, tags change neither the decision nor the mode, and ModeSource is
//     never "tag";
//   - a configured audit never asks for a write (NeedsWrite), whatever the tags;
//   - the guard's own role is exempt exactly when its trust policy is the stack's, tampered
//     otherwise, whatever its tags.
func TestDecideProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genPolicy(t)
		r := genRole(t)
		v := p.Decide(r)

		if strings.HasPrefix(v.ExemptBy, "aws-role:") {
			if r.Path != "/" || p.ManagementAccount == "" || !IsAWSRoleName(r.Name) {
				t.Fatalf("%s on %s exempt as an AWS role (mgmt %q): %s", r.Name, r.Path, p.ManagementAccount, v.Reason)
			}
			if strings.Contains(string(r.TrustPolicy), "444455556666") || strings.Contains(string(r.TrustPolicy), `"*"`) ||
				strings.Contains(string(r.TrustPolicy), "role/admin") || strings.Contains(string(r.TrustPolicy), "TagSession") {
				t.Fatalf("%s exempt with trust policy %s", r.Name, r.TrustPolicy)
			}
		}
		if v.Decision == Exempt && v.ExemptBy == "" {
			t.Fatalf("exempt without a kind: %+v", v)
		}
		if !p.TrustTags {
			bare := r
			bare.Tags = map[string]string{}
			w := p.Decide(bare)
			if w.Decision != v.Decision || w.Mode != v.Mode || v.ModeSource == ModeSourceTag || v.ExemptBy == "tag" {
				t.Fatalf("untrusted tags %v changed the verdict: %s/%s -> %s/%s (%s)", r.Tags, w.Decision, w.Mode, v.Decision, v.Mode, v.ModeSource)
			}
		}
		if p.Mode == ModeAudit && v.NeedsWrite() {
			t.Fatalf("audit asks for a write: %+v (tags %v)", v, r.Tags)
		}
		if _, own := p.ownRole(r.Name); own {
			intact := SamePolicy(r.TrustPolicy, OwnTrustPolicy("111122223333"))
			if (v.Decision == Exempt) != intact || (v.Decision == Tampered) == intact {
				t.Fatalf("own role %s (intact %v): %s", r.Name, intact, v.Decision)
			}
		}
	})
}
