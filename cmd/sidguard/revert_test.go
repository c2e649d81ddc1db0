package main

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

const (
	revertBefore = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`
	revertAfter  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}]}`
	revertOther  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::777788889999:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}]}`
)

// TestRevertThroughMoto: a role the guard patched is put back; a role changed after the guard's
// write is left alone, with the difference shown.
func TestRevertThroughMoto(t *testing.T) {
	srv := scanMoto(t)
	api := iam.NewFromConfig(srv.AWSConfig())
	ctx := t.Context()
	out, err := api.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("batch-worker"), Path: aws.String("/workloads/"),
		AssumeRolePolicyDocument: aws.String(revertAfter)})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.Role.Arn)
	event := decisionEventFile(t, arn, "patched")
	live := func() string {
		r, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("batch-worker")})
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := url.QueryUnescape(aws.ToString(r.Role.AssumeRolePolicyDocument))
		return compactJSON(t, doc)
	}

	stdout, stderr, code := runRevertCmd(t, "--dry-run", event)
	if code != exitOK || !strings.Contains(stdout, "would revert") || live() != revertAfter {
		t.Fatalf("dry run: exit %d, stdout %q, stderr %q, live %s", code, stdout, stderr, live())
	}
	stdout, stderr, code = runRevertCmd(t, event)
	if code != exitOK || !strings.Contains(stdout, "reverted") {
		t.Fatalf("revert: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if got := live(); got != revertBefore {
		t.Errorf("after revert the live policy is %s, want %s", got, revertBefore)
	}
	// Running it again finds the old policy in place: nothing to do.
	if stdout, _, code = runRevertCmd(t, event); code != exitOK || !strings.Contains(stdout, "nothing to revert") {
		t.Errorf("second revert: exit %d, stdout %q", code, stdout)
	}

	// Someone changes the role after the guard's write: revert refuses and shows the change.
	if _, err := api.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("batch-worker"),
		PolicyDocument: aws.String(revertOther)}); err != nil {
		t.Fatal(err)
	}
	stdout, _, code = runRevertCmd(t, event)
	if code != exitFindings || !strings.Contains(stdout, "refused") || !strings.Contains(stdout, "+         \"AWS\": \"arn:aws:iam::777788889999:root\"") {
		t.Errorf("revert of a changed role: exit %d, stdout:\n%s", code, stdout)
	}
	if got := live(); got != revertOther {
		t.Errorf("a refused revert wrote the role: %s", got)
	}
}

func TestRevertInputErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, in := range map[string]string{
		"not-json.json":    "nope",
		"no-decision.json": `{"roleArn":"arn:aws:iam::123456789012:role/x"}`,
	} {
		path := dir + "/" + name
		writeFile(t, path, in)
		var out, errb bytes.Buffer
		if code := run([]string{"revert", path}, strings.NewReader(""), &out, &errb); code != exitUsage {
			t.Errorf("%s: exit %d, want 2 (stderr %q)", name, code, errb.String())
		}
		if !strings.Contains(errb.String(), "unusable decision event") {
			t.Errorf("%s: stderr %q does not say why", name, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"revert", dir + "/missing.json"}, strings.NewReader(""), &out, &errb); code != exitUsage {
		t.Errorf("missing file: exit %d", code)
	}
}

func runRevertCmd(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"revert"}, args...), strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func decisionEventFile(t *testing.T, arn, decision string) string {
	t.Helper()
	ev := map[string]any{
		"detail-type": "Trust Policy Decision", "source": "source-identity-guard",
		"detail": map[string]any{"roleArn": arn, "roleName": arn[strings.LastIndexByte(arn, '/')+1:], "account": "123456789012",
			"decision": decision, "policyBefore": json.RawMessage(revertBefore), "policyAfter": json.RawMessage(revertAfter)},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/event.json"
	writeFile(t, path, string(b))
	return path
}

func compactJSON(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("compact %q: %v", s, err)
	}
	return b.String()
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
