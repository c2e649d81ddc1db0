package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/callcount"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/lambdaemu"
	"github.com/source-identity-guard/source-identity-guard/shared/harness/motoserver"
)

// guardRoleARN plays the Enforce function's execution role (GUARD_ROLE_ARNS): the template puts
// it under /source-identity-guard/<stack>/.
var guardRoleARN = "arn:aws:iam::" + motoserver.AccountID +
	":role/source-identity-guard/source-identity-guard/source-identity-guard-EnforceFunctionRole-DEMO"

// result is what the demo shows for one event.
type result struct {
	step    step
	outcome guard.Outcome
	calls   map[string]int
	before  []byte
	after   []byte
}

func run(ctx context.Context, w io.Writer, opts options) error {
	logw := opts.log
	if logw == nil {
		logw = os.Stderr
	}
	logf := func(format string, args ...any) { fmt.Fprintf(logw, "demo: "+format+"\n", args...) }
	begin := time.Now()

	logf("building ./functions/enforce (linux, CGO_ENABLED=0, -tags lambda.norpc) ...")
	dir, err := os.MkdirTemp("", "sidguard-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	boot, err := lambdaemu.Build(ctx, "./functions/enforce", dir)
	if err != nil {
		return err
	}
	rie, err := lambdaemu.EnsureRIE(ctx)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, lambdaemu.InstallHint)
	}

	moto, err := motoserver.Run(ctx)
	if err != nil {
		return fmt.Errorf("%w\n%s", err, motoserver.InstallHint)
	}
	defer moto.Stop()
	logf("moto_server on %s", moto.URL)
	calls, err := callcount.Start(moto.URL)
	if err != nil {
		return err
	}
	defer calls.Close()

	var fnOut io.Writer
	if opts.verbose {
		fnOut = logw
	}
	emu, err := lambdaemu.Run(ctx, lambdaemu.Config{
		Bootstrap:    boot,
		RIE:          rie,
		FunctionName: "source-identity-guard-enforce",
		Output:       fnOut,
		Env: append(moto.Env(),
			"AWS_ENDPOINT_URL="+calls.URL, // the function's calls go through the counter to moto
			"MODE="+opts.mode,
			"GUARD_ROLE_ARNS="+guardRoleARN,
			"GUARD_FUNCTION_NAMES=source-identity-guard-enforce",
			"FINDINGS_BUS_NAME=default",
			// The demo plays a deployment with ProtectedTags=true (the SCP in policies/ attached),
			// so that the vendor role's exempt tag counts.
			"TRUST_ROLE_TAGS=true",
		),
	})
	if err != nil {
		return err
	}
	defer emu.Stop()
	logf("Lambda Runtime Interface Emulator on %s (MODE=%s)", strings.TrimSuffix(emu.URL, lambdaemu.InvokePath), opts.mode)

	cfg := moto.AWSConfig()
	iamc := iam.NewFromConfig(cfg)
	findings, err := captureDecisions(ctx, eventbridge.NewFromConfig(cfg), sqs.NewFromConfig(cfg))
	if err != nil {
		return err
	}

	// moto loads each service's backend on its first call (hundreds of ms): do that now.
	if err := warmUp(ctx, iamc, eventbridge.NewFromConfig(cfg)); err != nil {
		return err
	}
	if _, err := findings.count(ctx); err != nil {
		return err
	}

	var results []result
	for _, s := range scenario() {
		if s.create {
			if err := createRole(ctx, iamc, s.role); err != nil {
				return err
			}
		}
		if s.update != nil {
			if _, err := iamc.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
				RoleName: aws.String(s.role.name), PolicyDocument: aws.String(string(s.update)),
			}); err != nil {
				return fmt.Errorf("update trust policy of %q: %w", s.role.name, err)
			}
		}
		before, err := trustPolicy(ctx, iamc, s.role.name)
		if err != nil {
			return err
		}
		calls.Reset()
		inv, err := emu.Invoke(ctx, s.event())
		if err != nil {
			return err
		}
		if f := inv.Failure(); f != "" {
			return fmt.Errorf("invoke for %q failed: %s\n%s", s.role.name, f, emu.Output())
		}
		var out guard.Outcome
		if err := json.Unmarshal(inv.Payload, &out); err != nil {
			return fmt.Errorf("decode the function's result %s: %w", inv.Payload, err)
		}
		after, err := trustPolicy(ctx, iamc, s.role.name)
		if err != nil {
			return err
		}
		results = append(results, result{step: s, outcome: out, calls: calls.Reset(), before: before, after: after})
	}
	published, err := findings.count(ctx)
	if err != nil {
		return err
	}

	report(w, results, published, opts.mode)
	// a second account, protected through the hub (org.go).
	if err := orgDemo(ctx, w, logf, moto, boot, rie, opts.mode); err != nil {
		return fmt.Errorf("organization step: %w", err)
	}
	if inits := emu.InitDurations(); len(inits) > 0 {
		fmt.Fprintf(w, "\nCold start: the emulator's INIT REPORT says %.1f ms (make bench measures more).\n",
			float64(inits[0].Microseconds())/1000)
	}
	fmt.Fprintf(w, "\nDone in %.1f s. moto_server, the emulator and the function are stopped.\n", time.Since(begin).Seconds())
	return writeHTMLReport(w, results, opts.mode)
}

func report(w io.Writer, results []result, published int, mode string) {
	fmt.Fprintf(w, "\nsource-identity-guard demo: the Enforce function (MODE=%s) under the Lambda emulator, against moto_server\n\n", mode)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tEVENT\tBY\tDECISION\tREASON\tAWS CALLS")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.step.role.name, r.step.eventName, r.step.actor,
			r.outcome.Decision, oneLine(r.outcome.Reason, 60), orNone(callcount.Format(r.calls)))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nDecision events published on the bus (source %s): %d\n", guard.EventSource, published)

	for _, r := range results {
		fmt.Fprintf(w, "\n== %s: %s — %s\n", r.step.role.name, r.outcome.Decision, r.step.about)
		for _, f := range r.outcome.Findings {
			fmt.Fprintf(w, "   finding %s: %s\n", f.Code, f.Message)
		}
		if bytes.Equal(r.before, r.after) {
			fmt.Fprintf(w, "   trust policy unchanged\n")
			continue
		}
		fmt.Fprintf(w, "   trust policy (- before, + after):\n")
		for _, line := range lineDiff(pretty(r.before), pretty(r.after)) {
			fmt.Fprintf(w, "   %s\n", line)
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "-"
	}
	if len(s) > max {
		return s[:max-1] + "…"
	}
	return s
}

// pretty indents a JSON document, keeping its key order.
func pretty(doc []byte) []string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(compact(doc)), "", "  "); err != nil {
		return strings.Split(string(doc), "\n")
	}
	return strings.Split(buf.String(), "\n")
}

func compact(doc []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, doc); err != nil {
		return doc
	}
	return buf.Bytes()
}

func createRole(ctx context.Context, c *iam.Client, r role) error {
	in := &iam.CreateRoleInput{
		RoleName:                 aws.String(r.name),
		Path:                     aws.String(r.path),
		AssumeRolePolicyDocument: aws.String(string(r.policy)),
	}
	for k, v := range r.tags {
		in.Tags = append(in.Tags, iamtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	if _, err := c.CreateRole(ctx, in); err != nil {
		return fmt.Errorf("create role %q: %w", r.name, err)
	}
	return nil
}

func trustPolicy(ctx context.Context, c *iam.Client, name string) ([]byte, error) {
	out, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("get role %q: %w", name, err)
	}
	doc, err := url.PathUnescape(aws.ToString(out.Role.AssumeRolePolicyDocument))
	if err != nil {
		return nil, fmt.Errorf("decode trust policy of %q: %w", name, err)
	}
	return []byte(doc), nil
}

// decisionQueue receives the function's decision events through an EventBridge rule.
type decisionQueue struct {
	sqs *sqs.Client
	url string
}

func captureDecisions(ctx context.Context, eb *eventbridge.Client, sq *sqs.Client) (*decisionQueue, error) {
	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("guard-decisions")})
	if err != nil {
		return nil, fmt.Errorf("create queue: %w", err)
	}
	attrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return nil, fmt.Errorf("get queue ARN: %w", err)
	}
	pattern := `{"source":["` + guard.EventSource + `"]}`
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("guard-decisions"), EventPattern: aws.String(pattern)}); err != nil {
		return nil, fmt.Errorf("put rule: %w", err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{
		Rule:    aws.String("guard-decisions"),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(attrs.Attributes["QueueArn"])}},
	}); err != nil {
		return nil, fmt.Errorf("put target: %w", err)
	}
	return &decisionQueue{sqs: sq, url: aws.ToString(q.QueueUrl)}, nil
}

func (q *decisionQueue) count(ctx context.Context) (int, error) {
	n := 0
	for {
		out, err := q.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.url), MaxNumberOfMessages: 10})
		if err != nil {
			return 0, fmt.Errorf("receive decision events: %w", err)
		}
		if len(out.Messages) == 0 {
			return n, nil
		}
		for _, m := range out.Messages {
			n++
			if _, err := q.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q.url), ReceiptHandle: m.ReceiptHandle}); err != nil {
				return 0, fmt.Errorf("delete decision event: %w", err)
			}
		}
	}
}

// warmUp makes one call of each kind the function makes, and one delivery through the decision
// rule, on a throwaway role.
func warmUp(ctx context.Context, c *iam.Client, eb *eventbridge.Client) error {
	name := aws.String("demo-warm-up")
	doc := aws.String(string(policy(trustLambda)))
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: doc}); err != nil {
		return fmt.Errorf("warm up moto: %w", err)
	}
	if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: name}); err != nil {
		return fmt.Errorf("warm up moto: %w", err)
	}
	if _, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: name, PolicyDocument: doc}); err != nil {
		return fmt.Errorf("warm up moto: %w", err)
	}
	if _, err := c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: name}); err != nil {
		return fmt.Errorf("warm up moto: %w", err)
	}
	if _, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		Source: aws.String(guard.EventSource), DetailType: aws.String("Warm Up"), Detail: aws.String("{}"),
	}}}); err != nil {
		return fmt.Errorf("warm up moto: %w", err)
	}
	return nil
}
