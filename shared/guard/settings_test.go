package guard

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

func lookupFrom(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

func TestLoadSettings(t *testing.T) {
	defaults := Settings{
		Policy:  Policy{Mode: ModeRequire, Patterns: []string{"*"}, SizeLimit: 2048},
		BusName: "default",
	}
	tests := []struct {
		name string
		env  map[string]string
		want Settings
	}{
		{"all unset: defaults", nil, defaults},
		{"all empty: defaults", map[string]string{"MODE": "", EnvPatterns: " ", EnvExemptRoles: "", EnvFederated: "", EnvSizeLimit: "", EnvFindingsBus: "", EnvGuardRoleARNs: ""}, defaults},
		{"every variable", map[string]string{
			"MODE":           "audit",
			EnvPatterns:      "*@example.com, svc-*",
			EnvExemptRoles:   "legacy-*,/vendor/*",
			EnvFederated:     "arn:aws:iam::*:saml-provider/Okta,accounts.google.com",
			EnvSizeLimit:     "4096",
			EnvFindingsBus:   "arn:aws:events:us-east-1:111122223333:event-bus/security",
			EnvGuardRoleARNs: "arn:aws:iam::111122223333:role/sig/Enforce-Role,arn:aws:iam::111122223333:role/Sweep",
			EnvFunctionNames: "sweep-fn",
			EnvTrustTags:     "TRUE",
		}, Settings{
			Policy: Policy{
				Mode:               ModeAudit,
				Patterns:           []string{"*@example.com", "svc-*"},
				ExemptRolePatterns: []string{"legacy-*", "/vendor/*"},
				Federated:          []trustpolicy.FederatedRule{{Provider: "arn:aws:iam::*:saml-provider/Okta"}, {Provider: "accounts.google.com"}},
				SizeLimit:          4096,
				TrustTags:          true,
				OwnRoles: []OwnRole{
					{Name: "Enforce-Role", TrustPolicy: OwnTrustPolicy("111122223333")},
					{Name: "Sweep", TrustPolicy: OwnTrustPolicy("111122223333")},
				},
			},
			OwnSessions: []string{
				"arn:aws:sts::111122223333:assumed-role/Enforce-Role/sweep-fn",
				"arn:aws:sts::111122223333:assumed-role/Sweep/sweep-fn",
			},
			BusName:     "arn:aws:events:us-east-1:111122223333:event-bus/security",
			OwnRoleARNs: []string{"arn:aws:iam::111122223333:role/sig/Enforce-Role", "arn:aws:iam::111122223333:role/Sweep"},
			Account:     "111122223333",
		}},
		{"mode allow", map[string]string{"MODE": "allow"}, withMode(defaults, ModeAllow)},
		{"mode require, any case", map[string]string{"MODE": "Require"}, defaults},
		{"size limit at the maximum", map[string]string{EnvSizeLimit: "8192"}, withLimit(defaults, 8192)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadSettings(lookupFrom(tt.env), "MODE")
			if err != nil {
				t.Fatalf("LoadSettings() error: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LoadSettings() (-want +got):\n%s", diff)
			}
		})
	}
}

func withMode(s Settings, m Mode) Settings { s.Policy.Mode = m; return s }
func withLimit(s Settings, n int) Settings { s.Policy.SizeLimit = n; return s }

func TestLoadSettingsModeVariable(t *testing.T) {
	env := map[string]string{"MODE": "nonsense", "SWEEP_MODE": "audit"}
	got, err := LoadSettings(lookupFrom(env), "SWEEP_MODE")
	if err != nil || got.Policy.Mode != ModeAudit {
		t.Fatalf(`LoadSettings(SWEEP_MODE) = %v, %v; want mode audit (MODE ignored)`, got.Policy.Mode, err)
	}
}

func TestLoadSettingsInvalid(t *testing.T) {
	tests := []struct {
		variable, value string
	}{
		{"MODE", "enforce"},
		{"MODE", "ignore"},
		{EnvPatterns, "a b"},
		{EnvPatterns, "a,,b"},
		{EnvPatterns, "ok,"},
		{EnvPatterns, strings.Repeat("x", 65)},
		{EnvPatterns, "bob#1"},
		{EnvExemptRoles, "bad name!"},
		{EnvExemptRoles, "a,,b"},
		{EnvFederated, "arn:aws:iam::1:saml-provider/ok,with space"},
		{EnvSizeLimit, "big"},
		{EnvSizeLimit, "0"},
		{EnvSizeLimit, "-1"},
		{EnvSizeLimit, "2047"},
		{EnvSizeLimit, "8193"},
		{EnvSizeLimit, "2048.0"},
		{EnvFindingsBus, "bad bus"},
		{EnvFindingsBus, "arn:aws:events:us-east-1:1234:event-bus/x"},
		{EnvFindingsBus, "arn:aws:sqs:us-east-1:111122223333:queue"},
		{EnvGuardRoleARNs, "EnforceRole"},
		{EnvGuardRoleARNs, "arn:aws:iam::111122223333:user/alice"},
		{EnvGuardRoleARNs, "arn:aws:sts::111122223333:assumed-role/Enforce/session"},
		{EnvGuardRoleARNs, "arn:aws:iam::111122223333:role/a,arn:aws:iam::444455556666:role/b"},
	}
	for _, tt := range tests {
		t.Run(tt.variable+"="+tt.value, func(t *testing.T) {
			_, err := LoadSettings(lookupFrom(map[string]string{tt.variable: tt.value}), "MODE")
			if err == nil {
				t.Fatalf("LoadSettings(%s=%q) succeeded; want an error", tt.variable, tt.value)
			}
			if !strings.HasPrefix(err.Error(), tt.variable+":") {
				t.Errorf("LoadSettings(%s=%q) error %q does not start with the variable's name", tt.variable, tt.value, err)
			}
		})
	}
}

// FuzzLoadSettings: any value of any variable either loads into settings the engine accepts,
// or fails with an error that names a variable; it never panics.
func FuzzLoadSettings(f *testing.F) {
	f.Add("audit", "*@example.com", "legacy-*", "arn:aws:iam::*:saml-provider/Okta", "4096", "default", "arn:aws:iam::111122223333:role/g")
	f.Add("", "", "", "", "", "", "")
	f.Add("x", ",", ",,", "a b", "2047", "arn:aws:events:us-east-1:111122223333:event-bus/", "arn:aws:iam::1:role/")
	f.Fuzz(func(t *testing.T, mode, patterns, exempt, federated, limit, bus, arns string) {
		env := map[string]string{"MODE": mode, EnvPatterns: patterns, EnvExemptRoles: exempt, EnvFederated: federated,
			EnvSizeLimit: limit, EnvFindingsBus: bus, EnvGuardRoleARNs: arns}
		s, err := LoadSettings(lookupFrom(env), "MODE")
		if err != nil {
			for name := range env {
				if strings.HasPrefix(err.Error(), name+":") || strings.HasPrefix(err.Error(), EnvPatterns+", ") {
					return
				}
			}
			t.Fatalf("error %q names no variable", err)
		}
		if err := s.Policy.rules(s.Policy.Mode).Validate(); err != nil {
			t.Errorf("loaded settings the engine rejects: %v", err)
		}
		if len(s.Policy.OwnRoles) != len(s.OwnRoleARNs) {
			t.Errorf("%d own roles for %d ARNs", len(s.Policy.OwnRoles), len(s.OwnRoleARNs))
		}
	})
}
