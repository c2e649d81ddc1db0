package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/orgestate"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/stsproxy"
)

const scanOpenPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`

// TestScanOrg: `scan --org` covers the management account and every member through
// OrganizationAccountAccessRole, every record carries its account, an account whose role cannot
// be assumed is a failed record naming it (exit 2), and each account has a progress line.
func TestScanOrg(t *testing.T) {
	srv := scanMoto(t)
	ctx := t.Context()
	cfg := srv.AWSConfig()
	o, err := orgestate.Create(ctx, cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := stsproxy.Start(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proxy.Close() })
	t.Setenv("AWS_ENDPOINT_URL", proxy.URL)
	denied := o.Members[2]
	proxy.Deny(denied)
	accounts := append([]string{o.Management}, o.Members[:2]...)
	for _, a := range accounts {
		c := cfg
		if a != o.Management {
			if c, err = orgestate.Member(ctx, cfg, a, "OrganizationAccountAccessRole"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := iam.NewFromConfig(c).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app-" + a[:4]),
			AssumeRolePolicyDocument: aws.String(scanOpenPolicy)}); err != nil {
			t.Fatal(err)
		}
	}

	for _, format := range []string{"json", "sarif"} {
		var out, errb strings.Builder
		exit := run([]string{"scan", "--org", "--format", format, "--account-concurrency", "2"}, strings.NewReader(""), &out, &errb)
		if exit != exitUsage {
			t.Errorf("%s: exit %d; want %d (an account failed)\n%s", format, exit, exitUsage, errb.String())
		}
		for _, a := range append(accounts, denied) {
			if !strings.Contains(errb.String(), "account "+a+": ") {
				t.Errorf("%s: no progress line for %s:\n%s", format, a, errb.String())
			}
		}
		if !strings.Contains(errb.String(), "account "+denied+": FAILED") {
			t.Errorf("%s: no FAILED line for %s:\n%s", format, denied, errb.String())
		}
		byAccount := map[string]map[string]guard.Decision{}
		add := func(account, arn, role string, d guard.Decision) {
			if account == "" || !strings.Contains(arn, ":"+account+":") {
				t.Errorf("%s: record %s (%s) has account %q", format, role, arn, account)
			}
			if byAccount[account] == nil {
				byAccount[account] = map[string]guard.Decision{}
			}
			byAccount[account][role] = d
		}
		if format == "json" {
			for _, l := range jsonLines(t, out.String()) {
				add(l.Account, l.ARN, l.Role, l.Decision)
			}
		} else {
			var log struct {
				Runs []struct {
					Results []struct {
						Properties struct {
							Account  string         `json:"account"`
							RoleARN  string         `json:"roleArn"`
							Decision guard.Decision `json:"decision"`
						} `json:"properties"`
					} `json:"results"`
				} `json:"runs"`
			}
			if err := json.Unmarshal([]byte(out.String()), &log); err != nil {
				t.Fatal(err)
			}
			for _, r := range log.Runs[0].Results {
				p := r.Properties
				add(p.Account, p.RoleARN, p.RoleARN[strings.LastIndexByte(p.RoleARN, '/')+1:], p.Decision)
			}
		}
		for _, a := range accounts {
			if d := byAccount[a]["app-"+a[:4]]; d != guard.WouldPatch {
				t.Errorf("%s: account %s role app-%s = %q; want would-patch (%v)", format, a, a[:4], d, byAccount[a])
			}
		}
		if d := byAccount[denied]["OrganizationAccountAccessRole"]; d != guard.Failed {
			t.Errorf("%s: unreachable account %s: %v", format, denied, byAccount[denied])
		}
	}
	if per := proxy.PerAccount(); per[o.Management] != 0 || per[o.Members[0]] == 0 {
		t.Errorf("AssumeRole per account = %v", per)
	}
	for _, c := range proxy.Calls() {
		if c.SourceIdentity != "" {
			t.Errorf("scan set a source identity without --source-identity: %+v", c)
		}
	}
}
