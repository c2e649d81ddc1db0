package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"
)

// MEMBER_ROLE_NAME is checked at start; a bad value stops the function with a message naming it.
func TestMemberRoleNameSettings(t *testing.T) {
	base := map[string]string{"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s",
		"GUARD_ROLE_ARNS": "arn:aws:iam::111122223333:role/source-identity-guard/sig/enforce"}
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"unset: this account only", map[string]string{}, ""},
		{"name with a path", map[string]string{EnvMemberRoleName: "source-identity-guard/member"}, ""},
		{"leading slash", map[string]string{EnvMemberRoleName: "/source-identity-guard/member"}, ""},
		{"bad characters", map[string]string{EnvMemberRoleName: "member role"}, "MEMBER_ROLE_NAME"},
		{"empty path element", map[string]string{EnvMemberRoleName: "a//member"}, "MEMBER_ROLE_NAME"},
		{"no own roles to name the hub", map[string]string{EnvMemberRoleName: "member", "GUARD_ROLE_ARNS": ""}, "MEMBER_ROLE_NAME: needs GUARD_ROLE_ARNS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range tt.env {
				env[k] = v
			}
			g, err := newGuard(lookupFrom(env), slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
			if tt.wantErr == "" {
				if err != nil || g == nil {
					t.Fatalf("newGuard() = %v, %v", g, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("newGuard() error %v; want one containing %q", err, tt.wantErr)
			}
		})
	}
}
