package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/estate"
	"github.com/source-identity-guard/source-identity-guard/shared/sarif"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// closedEndpoint returns an http URL on 127.0.0.1 where nothing listens.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	return url
}

// failEnvs are environments in which scan cannot list the roles, with the words its message
// must contain. Both point the SDK at a closed local port, so nothing leaves the machine.
func failEnvs(t *testing.T) map[string]struct {
	env  []string
	want string
} {
	endpoint := closedEndpoint(t)
	isolated := []string{"HOME=" + t.TempDir(), "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_ENDPOINT_URL=" + endpoint, "AWS_REGION=us-east-1"}
	return map[string]struct {
		env  []string
		want string
	}{
		"unreachable endpoint": {append(isolated, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing"),
			"the IAM endpoint cannot be reached (AWS_ENDPOINT_URL=" + endpoint + ")"},
		"no credentials": {isolated, "no AWS credentials were found"},
	}
}

// TestScanFailure: a scan that cannot list the roles says "scan failed" and why, exits 2, and
// prints no compliance figure, in every format (issue 7, CLI defect 3).
func TestScanFailure(t *testing.T) {
	for name, fe := range failEnvs(t) {
		for _, format := range []string{formatText, formatJSON, formatSARIF} {
			t.Run(name+"/"+format, func(t *testing.T) {
				for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL_IAM"} {
					t.Setenv(k, "")
					os.Unsetenv(k)
				}
				for _, kv := range fe.env {
					k, v, _ := strings.Cut(kv, "=")
					t.Setenv(k, v)
				}
				out, errOut, exit := runScan(t, "--max-attempts", "1", "--format", format)
				checkScanFailed(t, format, out, errOut, exit, fe.want)
			})
		}
	}
}

// figure matches a compliance figure in any format: "compliance 100.0%", a percentage, or
// SARIF's complianceRatio.
var figure = regexp.MustCompile(`(?i)compliance\s*\d|\d%|complianceRatio`)

func checkScanFailed(t *testing.T, format, out, errOut string, exit int, want string) {
	t.Helper()
	if exit != exitUsage {
		t.Errorf("exit %d; want %d", exit, exitUsage)
	}
	if !strings.Contains(errOut, "scan failed: could not list the account's roles: "+want) {
		t.Errorf("stderr does not say the scan failed and why (%q):\n%s", want, errOut)
	}
	if figure.MatchString(out) {
		t.Errorf("stdout claims a compliance figure:\n%s", out)
	}
	switch format {
	case formatText:
		if !strings.Contains(out, "scan failed") || !strings.Contains(out, "no compliance figure") {
			t.Errorf("text output does not say the scan failed:\n%s", out)
		}
	case formatJSON:
		if out != "" {
			t.Errorf("JSON Lines output has records although no role was judged:\n%s", out)
		}
	case formatSARIF:
		var log sarif.Log
		if err := json.Unmarshal([]byte(out), &log); err != nil {
			t.Fatalf("SARIF output does not parse: %v\n%s", err, out)
		}
		inv := log.Runs[0].Invocations
		if len(inv) != 1 || inv[0].ExecutionSuccessful || len(inv[0].ToolExecutionNotifications) != 1 ||
			!strings.Contains(inv[0].ToolExecutionNotifications[0].Message.Text, want) {
			t.Errorf("SARIF invocations = %+v; want one failed invocation saying %q", inv, want)
		}
		if _, ok := log.Runs[0].Properties["complianceRatio"]; ok || len(log.Runs[0].Results) != 0 {
			t.Errorf("SARIF run carries a compliance ratio or results: %+v", log.Runs[0].Properties)
		}
	}
}

// TestBinaryScanFailure runs the built binary against an unreachable endpoint and without
// credentials: exit 2 reaches the shell, with the reason.
func TestBinaryScanFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := buildSidguard(t)
	for name, fe := range failEnvs(t) {
		for _, format := range []string{formatText, formatJSON, formatSARIF} {
			cmd := exec.Command(bin, "scan", "--no-progress", "--max-attempts", "1", "--format", format)
			cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, fe.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			exit := exitCode(t, cmd.Run())
			t.Run(name+"/"+format, func(t *testing.T) {
				checkScanFailed(t, format, stdout.String(), stderr.String(), exit, fe.want)
			})
		}
	}
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("run: %v", err)
	return -1
}

// ciSnippet returns the CI step docs/check-fix-scan.md gives (the line with "rc=$?" in its
// "In CI" section): it keeps the report when roles are not compliant (exit 1) and fails the job
// when the scan failed (2).
func ciSnippet(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "check-fix-scan.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## In CI\n")
	if !ok {
		t.Fatal(`docs/check-fix-scan.md has no "In CI" section`)
	}
	for _, line := range strings.Split(section, "\n") {
		if strings.Contains(line, "rc=$?") {
			return line
		}
	}
	t.Fatal(`docs/check-fix-scan.md: no line with "rc=$?" in "In CI"`)
	return ""
}

// TestCISnippet runs the documented CI step with the built binary as bin/sidguard: a failed scan fails the step (2),
// an account with roles to patch passes it (the scan exits 1) with a SARIF report, and so does a
// compliant account. The old snippet ("go run ... || test $? -eq 1") passed on a failed scan
// because go run turns every non-zero exit into 1.
func TestCISnippet(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	snippet := ciSnippet(t)
	if !strings.HasPrefix(snippet, "bin/sidguard scan ") {
		t.Fatalf("CI snippet %q does not run the built binary bin/sidguard", snippet)
	}
	bin := buildSidguard(t)
	path := filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH")
	step := func(t *testing.T, env []string) (int, []byte) {
		t.Helper()
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(bin, filepath.Join(dir, "bin", "sidguard")); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("sh", "-c", snippet)
		cmd.Dir = dir
		cmd.Env = append([]string{"PATH=" + path}, env...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		exit := exitCode(t, cmd.Run())
		report, _ := os.ReadFile(filepath.Join(dir, "sidguard.sarif"))
		t.Logf("step exit %d, stderr: %s", exit, stderr.String())
		return exit, report
	}
	for name, fe := range failEnvs(t) {
		if exit, _ := step(t, fe.env); exit != exitUsage {
			t.Errorf("%s: CI step exit %d; want %d (the job must fail)", name, exit, exitUsage)
		}
	}

	srv := scanMoto(t)
	client := iam.NewFromConfig(srv.AWSConfig())
	if _, err := client.CreateRole(t.Context(), &iam.CreateRoleInput{RoleName: aws.String("open"),
		AssumeRolePolicyDocument: aws.String(estate.PolicyOpen)}); err != nil {
		t.Fatal(err)
	}
	env := append(srv.Env(), "HOME="+t.TempDir())
	// The scan itself exits 1 (a role would be patched); the step passes with the report.
	direct := exec.Command(bin, "scan", "--no-progress")
	direct.Env = append([]string{"PATH=" + path}, env...)
	if exit := exitCode(t, direct.Run()); exit != exitFindings {
		t.Fatalf("scan of an account with an open role: exit %d; want %d", exit, exitFindings)
	}
	exit, report := step(t, env)
	var log sarif.Log
	if exit != exitOK || json.Unmarshal(report, &log) != nil || len(log.Runs) != 1 || len(log.Runs[0].Results) != 1 {
		t.Errorf("non-compliant account: CI step exit %d, report %d bytes; want 0 and one SARIF result", exit, len(report))
	}
}

// TestScanCarriesAnyAWSAccount: a role that trusts {"AWS": "*"} without a fence is patched
// (and then compliant), and the scan's records carry the informational any-aws-account finding
// both times: JSON Lines in its findings, SARIF as a note (issue 7, engine verdict 7).
func TestScanCarriesAnyAWSAccount(t *testing.T) {
	srv := scanMoto(t)
	client := iam.NewFromConfig(srv.AWSConfig())
	if _, err := client.CreateRole(t.Context(), &iam.CreateRoleInput{RoleName: aws.String("anyone"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	note := func(fs []trustpolicy.Finding) bool {
		for _, f := range fs {
			if f.Code == trustpolicy.CodeAnyAWSAccount {
				return true
			}
		}
		return false
	}
	for _, step := range []struct {
		args     []string
		exit     int
		decision guard.Decision
	}{
		{[]string{"--mode", "require", "--fix"}, exitOK, guard.Patched},
		{[]string{"--mode", "require"}, exitOK, guard.Compliant},
	} {
		out, errOut, exit := runScan(t, append(step.args, "--format", "json")...)
		lines := jsonLines(t, out)
		if exit != step.exit || len(lines) != 1 || lines[0].Decision != step.decision || !note(lines[0].Findings) {
			t.Fatalf("scan %v: exit %d, records %+v; want exit %d, one %s record carrying %s\n%s", step.args, exit, lines, step.exit, step.decision, trustpolicy.CodeAnyAWSAccount, errOut)
		}
	}
	out, _, exit := runScan(t, "--mode", "require", "--format", "sarif")
	var log sarif.Log
	if err := json.Unmarshal([]byte(out), &log); err != nil || exit != exitOK {
		t.Fatalf("sarif: exit %d, %v", exit, err)
	}
	if rs := log.Runs[0].Results; len(rs) != 1 || rs[0].RuleID != string(trustpolicy.CodeAnyAWSAccount) || rs[0].Level != sarif.LevelNote {
		t.Errorf("SARIF results = %+v; want one %s note", rs, trustpolicy.CodeAnyAWSAccount)
	}
}
