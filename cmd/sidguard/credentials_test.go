package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/callrecord"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

// credentialsEnv is a world of its own for the AWS CLI, boto3 and sidguard: a temporary HOME
// with its own config, credentials file and cache, pointed at the recorder in front of moto.
type credentialsEnv struct {
	t       *testing.T
	bin     string
	home    string
	env     []string
	rec     *callrecord.Proxy
	roleARN string
	role2   string
	secret  string // alice's secret key, which must never show in any output
}

func needTool(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is needed (it ships on the project's machine image): %v\n%s", name, err, out)
		}
		t.Skipf("%s not usable here: %v", name, err)
	}
}

func newCredentialsEnv(t *testing.T) *credentialsEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("builds sidguard and runs moto, the AWS CLI and boto3; skipped with -short")
	}
	needTool(t, "aws", "--version")
	needTool(t, "python3", "-c", "import boto3")
	srv := motoserver.Start(t)
	rec, err := callrecord.Start(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Close() })

	ctx := context.Background()
	iamc := iam.NewFromConfig(srv.AWSConfig())
	if _, err := iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/people/")}); err != nil {
		t.Fatal(err)
	}
	key, err := iamc.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/people/alice"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}]}`
	var arns []string
	for _, name := range []string{"deployer", "auditor"} {
		out, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
		if err != nil {
			t.Fatal(err)
		}
		arns = append(arns, *out.Role.Arn)
	}

	dir := t.TempDir()
	bin := filepath.Join(dir, "sidguard")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	e := &credentialsEnv{t: t, bin: bin, home: home, rec: rec, roleARN: arns[0], role2: arns[1], secret: *key.AccessKey.SecretAccessKey}
	e.write(".aws/credentials", "[base]\naws_access_key_id = "+*key.AccessKey.AccessKeyId+"\naws_secret_access_key = "+e.secret+"\n")
	e.write(".aws/config", strings.Join([]string{
		"[profile base]", "region = us-east-1", "",
		"[profile deploy]", "region = us-east-1",
		"credential_process = " + bin + " credentials --role-arn " + arns[0] + " --source-profile base --role-session-name alice-deploy", "",
		"[profile ci]", "region = us-east-1",
		"credential_process = " + bin + " credentials --role-arn " + arns[0] + " --source-profile base --source-identity ci-pipeline --no-cache", "",
		"[profile chained]", "region = us-east-1",
		"credential_process = " + bin + " credentials --role-arn " + arns[1] + " --source-profile deploy", "",
		"[profile loop]", "region = us-east-1",
		"credential_process = " + bin + " credentials --role-arn " + arns[0], "",
		"[profile nobase]", "region = us-east-1",
		"credential_process = " + bin + " credentials --role-arn " + arns[0] + " --source-profile missing", "",
	}, "\n"))
	e.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"AWS_CONFIG_FILE=" + filepath.Join(home, ".aws", "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, ".aws", "credentials"),
		"AWS_ENDPOINT_URL=" + rec.URL,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_DEFAULT_REGION=us-east-1",
	}
	if v := os.Getenv("PYENV_VERSION"); v != "" {
		e.env = append(e.env, "PYENV_VERSION="+v)
	}
	if v := os.Getenv("PYENV_ROOT"); v != "" {
		e.env = append(e.env, "PYENV_ROOT="+v)
	}
	return e
}

func (e *credentialsEnv) write(rel, content string) {
	e.t.Helper()
	if err := os.WriteFile(filepath.Join(e.home, rel), []byte(content), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// run runs name args in the environment and returns stdout, stderr and the exit code.
func (e *credentialsEnv) run(name string, args ...string) (string, string, int) {
	e.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = e.env
	cmd.Dir = e.home
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("run %s: %v", name, err)
	}
	if strings.Contains(stderr.String(), e.secret) || (name != e.bin && strings.Contains(stdout.String(), e.secret)) {
		e.t.Errorf("%s %s printed alice's secret key", name, strings.Join(args, " "))
	}
	return stdout.String(), stderr.String(), code
}

func (e *credentialsEnv) assumeRoles() []callrecord.Call { return e.rec.Calls("sts.AssumeRole") }

func callerARN(t *testing.T, stdout string) string {
	t.Helper()
	var id struct{ Arn string }
	if err := json.Unmarshal([]byte(stdout), &id); err != nil {
		t.Fatalf("get-caller-identity output is not JSON: %v\n%s", err, stdout)
	}
	return id.Arn
}

// TestCredentialProcessThroughAWSCLIAndBoto3 runs the real AWS CLI and boto3 with profiles
// whose credential_process is the built sidguard, against moto behind a recording proxy: the
// callers end up in the role, and the AssumeRole requests carried the SourceIdentity.
func TestCredentialProcessThroughAWSCLIAndBoto3(t *testing.T) {
	e := newCredentialsEnv(t)

	// AWS CLI, derived source identity: alice's IAM user name.
	stdout, stderr, code := e.run("aws", "sts", "get-caller-identity", "--profile", "deploy", "--output", "json")
	if code != 0 {
		t.Fatalf("aws sts get-caller-identity --profile deploy: exit %d\n%s", code, stderr)
	}
	if got, want := callerARN(t, stdout), "arn:aws:sts::123456789012:assumed-role/deployer/alice-deploy"; got != want {
		t.Errorf("caller = %s; want %s", got, want)
	}
	calls := e.assumeRoles()
	if len(calls) != 1 {
		t.Fatalf("%d AssumeRole requests; want 1", len(calls))
	}
	if got := calls[0].Params.Get("SourceIdentity"); got != "alice" {
		t.Errorf("AssumeRole SourceIdentity = %q; want alice (the IAM user name)", got)
	}
	if got := calls[0].Params.Get("RoleArn"); got != e.roleARN {
		t.Errorf("AssumeRole RoleArn = %q; want %s", got, e.roleARN)
	}
	if got := calls[0].Params.Get("RoleSessionName"); got != "alice-deploy" {
		t.Errorf("AssumeRole RoleSessionName = %q; want alice-deploy", got)
	}

	// The second CLI call is served from the cache: no new AssumeRole; the cache is private.
	if _, stderr, code := e.run("aws", "sts", "get-caller-identity", "--profile", "deploy"); code != 0 {
		t.Fatalf("second aws sts get-caller-identity: exit %d\n%s", code, stderr)
	}
	if n := len(e.assumeRoles()); n != 1 {
		t.Errorf("%d AssumeRole requests after a second CLI call; want 1 (cached)", n)
	}
	cacheDir := filepath.Join(e.home, ".cache", "sidguard", "credentials")
	files, _ := filepath.Glob(filepath.Join(cacheDir, "*.json"))
	if len(files) != 1 {
		t.Fatalf("cache holds %d files; want 1", len(files))
	}
	for path, want := range map[string]os.FileMode{cacheDir: 0o700, files[0]: 0o600} {
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: mode %v (%v); want %v", path, st.Mode().Perm(), err, want)
		}
	}

	// boto3, explicit source identity, no cache.
	e.rec.Reset()
	script := "import boto3,json; print(json.dumps(boto3.Session(profile_name='ci').client('sts').get_caller_identity()))"
	stdout, stderr, code = e.run("python3", "-c", script)
	if code != 0 {
		t.Fatalf("boto3 get_caller_identity with profile ci: exit %d\n%s", code, stderr)
	}
	if got, want := callerARN(t, stdout), "arn:aws:sts::123456789012:assumed-role/deployer/ci-pipeline"; got != want {
		t.Errorf("boto3 caller = %s; want %s", got, want)
	}
	calls = e.assumeRoles()
	if len(calls) != 1 || calls[0].Params.Get("SourceIdentity") != "ci-pipeline" {
		t.Errorf("boto3's AssumeRole requests = %v; want one with SourceIdentity ci-pipeline", calls)
	}

	// A chain: profile chained's base is profile deploy, a session sidguard made with source
	// identity alice (its session name is alice-deploy): the next hop keeps alice.
	e.rec.Reset()
	stdout, stderr, code = e.run("aws", "sts", "get-caller-identity", "--profile", "chained", "--output", "json")
	if code != 0 {
		t.Fatalf("aws sts get-caller-identity --profile chained: exit %d\n%s", code, stderr)
	}
	if got, want := callerARN(t, stdout), "arn:aws:sts::123456789012:assumed-role/auditor/alice"; got != want {
		t.Errorf("chained caller = %s; want %s", got, want)
	}
	calls = e.assumeRoles()
	if len(calls) != 1 || calls[0].Params.Get("SourceIdentity") != "alice" || calls[0].Params.Get("RoleArn") != e.role2 {
		t.Errorf("chained AssumeRole requests = %v; want one for %s with SourceIdentity alice (the base session's)", calls, e.role2)
	}

	// No base credentials: the CLI fails and shows sidguard's one line.
	e.rec.Reset()
	_, stderr, code = e.run("aws", "sts", "get-caller-identity", "--profile", "nobase")
	if code == 0 || !strings.Contains(stderr, "no usable base credentials") {
		t.Errorf("profile nobase: exit %d, stderr %q; want a failure naming the missing base credentials", code, stderr)
	}
	if n := len(e.assumeRoles()); n != 0 {
		t.Errorf("profile nobase made %d AssumeRole requests; want 0", n)
	}
}

// TestCredentialsOutputContract runs the binary itself: stdout is the process-credentials JSON
// and nothing else; errors are one line on stderr with nothing on stdout.
func TestCredentialsOutputContract(t *testing.T) {
	e := newCredentialsEnv(t)
	stdout, stderr, code := e.run(e.bin, "credentials", "--role-arn", e.roleARN, "--source-profile", "base", "--duration", "1h", "--external-id", "x-1", "--no-cache")
	if code != 0 || stderr != "" {
		t.Fatalf("sidguard credentials: exit %d, stderr %q", code, stderr)
	}
	var got map[string]any
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if rest, _ := bufferedRest(dec); strings.TrimSpace(rest) != "" {
		t.Errorf("stdout has more than the JSON object: %q", rest)
	}
	keys := []string{}
	for k := range got {
		keys = append(keys, k)
	}
	if len(got) != 5 || got["Version"] != float64(1) || got["AccessKeyId"] == "" || got["SecretAccessKey"] == "" || got["SessionToken"] == "" || got["Expiration"] == "" {
		t.Errorf("process credentials = keys %v; want exactly Version 1, AccessKeyId, SecretAccessKey, SessionToken, Expiration", keys)
	}
	calls := e.assumeRoles()
	if len(calls) != 1 || calls[0].Params.Get("DurationSeconds") != "3600" || calls[0].Params.Get("ExternalId") != "x-1" || calls[0].Params.Get("SourceIdentity") != "alice" {
		t.Errorf("AssumeRole requests = %v; want one with DurationSeconds 3600, ExternalId x-1, SourceIdentity alice", calls)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"credentials"}, "--role-arn is required"},
		{[]string{"credentials", "--role-arn", "deployer"}, "is not a role ARN"},
		{[]string{"credentials", "--role-arn", e.roleARN, "--source-identity", "a"}, "invalid source identity"},
		{[]string{"credentials", "--role-arn", e.roleARN, "--source-identity", "alice smith"}, "invalid source identity"},
		{[]string{"credentials", "--role-arn", e.roleARN, "--source-identity", "alice", "--keep-source-identity"}, "exclude each other"},
		{[]string{"credentials", "--role-arn", e.roleARN, "--source-profile", "missing"}, "no usable base credentials"},
		{[]string{"credentials", "--role-arn", e.roleARN, "--duration", "5m"}, "900"},
	} {
		stdout, stderr, code := e.run(e.bin, tt.args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, tt.want) {
			t.Errorf("sidguard %s: exit %d, stdout %q, stderr %q; want exit 2, nothing on stdout, stderr with %q", strings.Join(tt.args, " "), code, stdout, stderr, tt.want)
		}
		if lines := strings.Count(strings.TrimSpace(stderr), "\n"); tt.want != "900" && lines != 0 {
			t.Errorf("sidguard %s: %d lines on stderr; want 1:\n%s", strings.Join(tt.args, " "), lines+1, stderr)
		}
	}
}

// TestCredentialsSaysWhatToDo: STS's refusals (which moto never sends; the recorder answers in
// its place) become one line on stderr saying what to do, with nothing on stdout.
func TestCredentialsSaysWhatToDo(t *testing.T) {
	e := newCredentialsEnv(t)
	args := []string{"credentials", "--role-arn", e.roleARN, "--source-profile", "base", "--no-cache"}
	for _, tt := range []struct {
		call, code, message string
		want                []string
	}{
		{"sts.AssumeRole", "AccessDenied", "User: arn:aws:iam::123456789012:user/people/alice is not authorized to perform: sts:AssumeRole on resource: " + e.roleARN,
			[]string{"cannot assume " + e.roleARN, "sts:AssumeRole", "trust policy names your principal"}},
		{"sts.AssumeRole", "AccessDenied", "User: arn:aws:iam::123456789012:user/people/alice is not authorized to perform: sts:SetSourceIdentity on resource: " + e.roleARN,
			[]string{"STS refused the source identity", `sent "alice" (user name)`, "sidguard caller-policy --role-arn " + e.roleARN, "--keep-source-identity"}},
		{"sts.GetCallerIdentity", "InvalidClientTokenId", "The security token included in the request is invalid.",
			[]string{"no usable base credentials from profile \"base\"", "--source-profile"}},
	} {
		e.rec.Answer(tt.call, 403, callrecord.STSError(tt.code, tt.message))
		stdout, stderr, code := e.run(e.bin, args...)
		e.rec.Answer(tt.call, 0, "")
		if code != exitUsage || stdout != "" || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s %s: exit %d, stdout %q, stderr %q; want exit 2, nothing on stdout, one line on stderr", tt.call, tt.code, code, stdout, stderr)
		}
		for _, w := range tt.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s %s: stderr %q lacks %q", tt.call, tt.code, stderr, w)
			}
		}
	}
}

// TestCredentialProcessThroughTheGoSDK: the Go SDK's shared-config loader runs the helper for a
// credential_process profile (the Terraform AWS provider uses the same loader).
func TestCredentialProcessThroughTheGoSDK(t *testing.T) {
	e := newCredentialsEnv(t)
	for _, kv := range e.env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_PROFILE", "")
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithSharedConfigProfile("ci"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with profile ci through the Go SDK: %v", err)
	}
	if got, want := aws.ToString(out.Arn), "arn:aws:sts::123456789012:assumed-role/deployer/ci-pipeline"; got != want {
		t.Errorf("caller = %s; want %s", got, want)
	}
	if calls := e.assumeRoles(); len(calls) != 1 || calls[0].Params.Get("SourceIdentity") != "ci-pipeline" {
		t.Errorf("AssumeRole requests = %v; want one with SourceIdentity ci-pipeline", calls)
	}
}

// A profile whose source chain leads back to itself (AWS_PROFILE=loop, no --source-profile)
// stops with a message instead of forking without end.
func TestCredentialsStopsALoop(t *testing.T) {
	e := newCredentialsEnv(t)
	e.env = append(e.env, "AWS_PROFILE=loop")
	stdout, stderr, code := e.run(e.bin, "credentials", "--role-arn", e.roleARN)
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, "nested runs of sidguard credentials") {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and the nested-runs message", code, stdout, stderr)
	}
	if n := len(e.assumeRoles()); n != 0 {
		t.Errorf("%d AssumeRole requests; want 0", n)
	}
}

func bufferedRest(dec *json.Decoder) (string, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(dec.Buffered())
	return b.String(), err
}
