package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"
)

func lookupFrom(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

var lambdaEnv = map[string]string{
	"AWS_ACCESS_KEY_ID":     "ASIAEXAMPLE",
	"AWS_SECRET_ACCESS_KEY": "secret",
	"AWS_SESSION_TOKEN":     "token",
	"AWS_REGION":            "us-east-1",
}

func with(env map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestNewGuard(t *testing.T) {
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // prefix of the error after "settings: ", or substring; "" means success
	}{
		{"Lambda environment, defaults", lambdaEnv, ""},
		{"every setting", with(lambdaEnv, "MODE", "audit", "SOURCE_IDENTITY_PATTERNS", "*@example.com",
			"EXEMPT_ROLE_PATTERNS", "legacy-*", "FEDERATED_PROVIDERS", "arn:aws:iam::*:saml-provider/Okta",
			"TRUST_POLICY_SIZE_LIMIT", "4096", "FINDINGS_BUS_NAME", "security",
			"GUARD_ROLE_ARNS", "arn:aws:iam::111122223333:role/guard", "AWS_ENDPOINT_URL", "http://127.0.0.1:5000"), ""},
		{"invalid MODE", with(lambdaEnv, "MODE", "enforce"), "MODE:"},
		{"invalid SOURCE_IDENTITY_PATTERNS", with(lambdaEnv, "SOURCE_IDENTITY_PATTERNS", "a b"), "SOURCE_IDENTITY_PATTERNS:"},
		{"invalid EXEMPT_ROLE_PATTERNS", with(lambdaEnv, "EXEMPT_ROLE_PATTERNS", "bad name!"), "EXEMPT_ROLE_PATTERNS:"},
		{"invalid FEDERATED_PROVIDERS", with(lambdaEnv, "FEDERATED_PROVIDERS", "a b"), "FEDERATED_PROVIDERS:"},
		{"invalid TRUST_POLICY_SIZE_LIMIT", with(lambdaEnv, "TRUST_POLICY_SIZE_LIMIT", "lots"), "TRUST_POLICY_SIZE_LIMIT:"},
		{"invalid FINDINGS_BUS_NAME", with(lambdaEnv, "FINDINGS_BUS_NAME", "a bus"), "FINDINGS_BUS_NAME:"},
		{"invalid GUARD_ROLE_ARNS", with(lambdaEnv, "GUARD_ROLE_ARNS", "guard"), "GUARD_ROLE_ARNS:"},
		{"no credentials", map[string]string{"AWS_REGION": "us-east-1"}, "AWS_ACCESS_KEY_ID"},
		{"IaC fight rule", with(lambdaEnv, "IAC_FIGHT_TABLE", "stack-TrustPolicyWritesTable-X", "IAC_FIGHT_THRESHOLD", "5"), ""},
		{"invalid IAC_FIGHT_THRESHOLD", with(lambdaEnv, "IAC_FIGHT_THRESHOLD", "many"), "IAC_FIGHT_THRESHOLD:"},
		{"invalid IAC_FIGHT_TABLE", with(lambdaEnv, "IAC_FIGHT_TABLE", "a table"), "IAC_FIGHT_TABLE:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := newGuard(lookupFrom(tt.env), discard, io.Discard)
			if tt.wantErr == "" {
				if err != nil || g == nil {
					t.Fatalf("newGuard() = %v, %v; want a guard", g, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("newGuard() succeeded; want an error naming %s", tt.wantErr)
			}
			if msg := strings.TrimPrefix(err.Error(), "settings: "); !strings.HasPrefix(msg, tt.wantErr) {
				t.Errorf("newGuard() error %q does not start with %q", err, tt.wantErr)
			}
		})
	}
}

func TestAWSConfig(t *testing.T) {
	tests := []struct {
		name         string
		env          map[string]string
		wantRegion   string
		wantEndpoint string
		wantCreds    aws.Credentials
	}{
		{"Lambda", lambdaEnv, "us-east-1", "", aws.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "secret", SessionToken: "token", Source: "EnvConfigCredentials"}},
		{"default region", with(lambdaEnv, "AWS_REGION", ""), "us-east-1", "", aws.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "secret", SessionToken: "token", Source: "EnvConfigCredentials"}},
		{"AWS_DEFAULT_REGION", with(lambdaEnv, "AWS_REGION", "", "AWS_DEFAULT_REGION", "us-gov-west-1"), "us-gov-west-1", "", aws.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "secret", SessionToken: "token", Source: "EnvConfigCredentials"}},
		{"emulator", with(lambdaEnv, "AWS_ENDPOINT_URL", "http://127.0.0.1:5000", "AWS_SESSION_TOKEN", ""), "us-east-1", "http://127.0.0.1:5000", aws.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "secret", Source: "EnvConfigCredentials"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := awsConfig(lookupFrom(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Region != tt.wantRegion {
				t.Errorf("Region = %q, want %q", cfg.Region, tt.wantRegion)
			}
			if got := aws.ToString(cfg.BaseEndpoint); got != tt.wantEndpoint {
				t.Errorf("BaseEndpoint = %q, want %q", got, tt.wantEndpoint)
			}
			creds, err := cfg.Credentials.Retrieve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantCreds, creds); diff != "" {
				t.Errorf("credentials (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServiceEndpoint(t *testing.T) {
	env := lookupFrom(map[string]string{"AWS_ENDPOINT_URL_IAM": "http://127.0.0.1:1"})
	if got := aws.ToString(serviceEndpoint(env, "IAM")); got != "http://127.0.0.1:1" {
		t.Errorf("serviceEndpoint(IAM) = %q", got)
	}
	if got := serviceEndpoint(env, "EVENTBRIDGE"); got != nil {
		t.Errorf("serviceEndpoint(EVENTBRIDGE) = %q, want nil", *got)
	}
}
