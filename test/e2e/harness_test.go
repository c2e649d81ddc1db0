package e2e

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/source-identity-guard/source-identity-guard/shared/cloudtrail"
	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/busqueue"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/callcount"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/lambdaemu"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

// The package under test, built as the template's build-EnforceFunction target builds it.
const enforcePackage = "./functions/enforce"

// sampleAccount is the account of the samples in events/; the tests move them to moto's.
const sampleAccount = "111122223333"

// guardRoleARN is the Enforce function's own role as the samples name it (events/guard-self-update.json),
// in moto's account.
var guardRoleARN = "arn:aws:iam::" + motoserver.AccountID +
	":role/source-identity-guard/source-identity-guard/source-identity-guard-EnforceFunctionRole-EXAMPLE"

func TestMain(m *testing.M) {
	code := func() int {
		defer func() {
			if build.dir != "" {
				os.RemoveAll(build.dir)
			}
		}()
		return motoserver.RunTests(m)
	}()
	os.Exit(code)
}

var build struct {
	sync.Once
	dir, path string
	err       error
}

// bootstrap builds the Enforce function once per test run.
func bootstrap(t *testing.T) string {
	t.Helper()
	build.Do(func() {
		if build.dir, build.err = os.MkdirTemp("", "e2e-enforce-"); build.err != nil {
			return
		}
		build.path, build.err = lambdaemu.Build(context.Background(), enforcePackage, build.dir)
	})
	if build.err != nil {
		t.Fatalf("build %s: %v", enforcePackage, build.err)
	}
	return build.path
}

// harness is moto_server, a counting proxy in front of it, a capture of the decision events and
// the Enforce function under the emulator, configured by env (KEY=value).
type harness struct {
	moto   *motoserver.Server
	calls  *callcount.Proxy
	emu    *lambdaemu.Emulator
	iam    *iam.Client
	queue  *busqueue.Queue
	roles  map[string]bool
	ctx    context.Context
	testID string
}

func newHarness(t *testing.T, env ...string) *harness {
	t.Helper()
	boot := bootstrap(t)
	moto := motoserver.Shared(t)
	calls, err := callcount.Start(moto.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { calls.Close() })
	cfg := moto.AWSConfig()
	h := &harness{
		moto: moto, calls: calls, ctx: context.Background(),
		iam: iam.NewFromConfig(cfg), roles: map[string]bool{},
	}
	h.captureDecisions(t, cfg)

	settings := append(moto.Env(),
		"AWS_ENDPOINT_URL="+calls.URL, // later entries win
		"MODE=require",
		"GUARD_ROLE_ARNS="+guardRoleARN,
		"GUARD_FUNCTION_NAMES=source-identity-guard-EnforceFunction-EXAMPLE",
		"AWS_LAMBDA_LOG_LEVEL=DEBUG",
	)
	h.emu = lambdaemu.Start(t, lambdaemu.Config{Bootstrap: boot, Env: append(settings, env...)})
	return h
}

// captureDecisions routes the function's decision events to an SQS queue.
func (h *harness) captureDecisions(t *testing.T, cfg aws.Config) {
	t.Helper()
	pattern := `{"source":["` + guard.EventSource + `"],"detail-type":["` + guard.EventDetailType + `"]}`
	h.queue = busqueue.Start(t, cfg, "decisions", pattern, busqueue.Options{})
}

// decisions returns (and removes) the decision events delivered so far.
func (h *harness) decisions(t *testing.T) []guard.DecisionEvent {
	t.Helper()
	var out []guard.DecisionEvent
	for _, body := range h.queue.Drain(t) {
		var ev struct {
			Detail guard.DecisionEvent `json:"detail"`
		}
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Fatalf("decision event %s: %v", body, err)
		}
		out = append(out, ev.Detail)
	}
	return out
}

// invoke sends event to the function and returns its outcome and the AWS calls it made.
func (h *harness) invoke(t *testing.T, event []byte) (guard.Outcome, map[string]int) {
	t.Helper()
	h.calls.Reset()
	inv, err := h.emu.Invoke(h.ctx, event)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	calls := h.calls.Reset()
	if f := inv.Failure(); f != "" {
		t.Fatalf("invocation failed: %s\noutput:\n%s", f, h.emu.Output())
	}
	var out guard.Outcome
	if err := json.Unmarshal(inv.Payload, &out); err != nil {
		t.Fatalf("decode outcome %s: %v", inv.Payload, err)
	}
	return out, calls
}

// createRole creates a role in moto.
func (h *harness) createRole(t *testing.T, name, path string, policy []byte, tags map[string]string) {
	t.Helper()
	in := &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(string(policy))}
	if path != "" {
		in.Path = aws.String(path)
	}
	for k, v := range tags {
		in.Tags = append(in.Tags, iamtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	if _, err := h.iam.CreateRole(h.ctx, in); err != nil {
		t.Fatalf("create role %q: %v", name, err)
	}
}

// trustPolicy reads a role's trust policy from moto (bypassing the counting proxy).
func (h *harness) trustPolicy(t *testing.T, name string) []byte {
	t.Helper()
	out, err := h.iam.GetRole(h.ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		t.Fatalf("get role %q: %v", name, err)
	}
	doc, err := url.PathUnescape(aws.ToString(out.Role.AssumeRolePolicyDocument))
	if err != nil {
		t.Fatalf("decode trust policy of %q: %v", name, err)
	}
	return []byte(doc)
}

// sample reads events/<name>, moved to moto's account.
func sample(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.ReplaceAll(string(data), sampleAccount, motoserver.AccountID))
}

// call decodes a sample the way the function does.
func call(t *testing.T, event []byte) (cloudtrail.Call, error) {
	t.Helper()
	var ev events.CloudWatchEvent
	if err := json.Unmarshal(event, &ev); err != nil {
		t.Fatalf("decode event: %v", err)
	}
	return cloudtrail.Parse(ev)
}

// withRoleName returns event with its requestParameters.roleName replaced.
func withRoleName(t *testing.T, event []byte, role string) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		t.Fatal(err)
	}
	ev["detail"].(map[string]any)["requestParameters"].(map[string]any)["roleName"] = role
	if resp, ok := ev["detail"].(map[string]any)["responseElements"].(map[string]any); ok {
		delete(resp, "role")
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
