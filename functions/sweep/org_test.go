package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"
)

func TestSweepScope(t *testing.T) {
	for v, want := range map[string]string{"": "account", "account": "account", " organization ": "organization", "org": "", "Organization": ""} {
		got, err := sweepScope(env(map[string]string{EnvScope: v}))
		if got != want || (err != nil) != (want == "") {
			t.Errorf("SWEEP_SCOPE=%q: %q, %v", v, got, err)
		}
		if err != nil && !strings.Contains(err.Error(), EnvScope) {
			t.Errorf("error %q does not name %s", err, EnvScope)
		}
	}
}

// The organization scope is checked at start; no AWS call is made while GUARD_ROLE_ARNS names
// the hub.
func TestOrgHandlerSettings(t *testing.T) {
	base := map[string]string{EnvScope: "organization", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "us-east-1",
		"AWS_ENDPOINT_URL": "http://127.0.0.1:1", "GUARD_ROLE_ARNS": "arn:aws:iam::111122223333:role/source-identity-guard/sig/sweep"}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"member role with a path", map[string]string{EnvMemberRoleName: "source-identity-guard/member"}, ""},
		{"no member role", map[string]string{}, "SWEEP_SCOPE=organization needs MEMBER_ROLE_NAME"},
		{"bad member role", map[string]string{EnvMemberRoleName: "a b"}, "MEMBER_ROLE_NAME"},
		{"account concurrency 0", map[string]string{EnvMemberRoleName: "m", EnvAccountConcurrency: "0"}, EnvAccountConcurrency},
		{"account concurrency 33", map[string]string{EnvMemberRoleName: "m", EnvAccountConcurrency: "33"}, EnvAccountConcurrency},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{}
			for k, v := range base {
				vars[k] = v
			}
			for k, v := range tt.env {
				vars[k] = v
			}
			h, err := newOrgHandler(t.Context(), env(vars), slog.New(slog.DiscardHandler), io.Discard)
			if tt.wantErr == "" {
				if err != nil || h == nil || h.runner.Hub != "111122223333" || h.runner.Parallel != 10 {
					t.Fatalf("newOrgHandler() = %+v, %v", h, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("newOrgHandler() error %v; want one containing %q", err, tt.wantErr)
			}
		})
	}
}
