package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/source-identity-guard/source-identity-guard/shared/apicalls"
	"github.com/source-identity-guard/source-identity-guard/shared/awsconfig"
	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/orgaccounts"
	"github.com/source-identity-guard/source-identity-guard/shared/sarif"
	"github.com/source-identity-guard/source-identity-guard/shared/sweep"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

const formatSARIF = "sarif"

var scanCommand = &command{
	name:    "scan",
	args:    "[--org] [--mode audit|allow|require] [--fix] [--format text|json|sarif] [--concurrency N] [flags]",
	summary: "judge every role of an AWS account, as the scheduled sweep does",
	help: `Reads every IAM role of the account that the default credential chain reaches (environment,
--profile or AWS_PROFILE, SSO, ...; AWS_ENDPOINT_URL is honoured) and judges each one with the
code the guard's Lambda functions use. Without --fix it changes nothing: roles that need a
change are reported as would-patch. With --fix it writes the fixed trust policies, as the
sweep does in allow or require mode. Role tags (source-identity-guard:mode,
source-identity-guard:exempt) count only with --trust-tags, as in a guard deployed with
ProtectedTags=true; --mode audit writes nothing whatever a tag says.

Output (standard output; progress and errors go to standard error):
  text   a table of the roles that are not compliant, then a summary line
  json   one JSON object per role per line (JSON Lines): role, arn, account, path, decision,
         reason, mode, findings [{code, message, ...}]
  sarif  a SARIF 2.1.0 log with one result per non-compliant role, for code-scanning dashboards

With --org (management account or delegated administrator credentials) it scans every ACTIVE
account of the organization through --member-role, a progress line per account on standard
error; an account whose role cannot be assumed is a failed record naming it.

Exit status: 0 every role compliant, exempt or fixed; 1 non-compliant roles remain; 2 error
(the account could not be listed, a role could not be judged or written, or bad flags).
A scan that could not list the roles says "scan failed" and why (no credentials, no region,
endpoint unreachable, access denied) and prints no compliance figure in any format (SARIF:
invocations[0].executionSuccessful is false). In CI, fail the job on 2 but not on 1:
  sidguard scan --format sarif > sidguard.sarif; rc=$?; [ "$rc" -le 1 ] || exit "$rc"`,
	maxArgs: 0,
	setup: func(fs *flag.FlagSet) func(stdio, []string) int {
		o := scanOptions{mode: guard.ModeAudit, format: formatText, concurrency: sweep.DefaultConcurrency,
			maxAttempts: awsconfig.DefaultMaxAttempts, sizeLimit: trustpolicy.DefaultSizeLimit}
		fs.Func("mode", "Mode `audit|allow|require`: audit judges as require and never writes; allow and\n"+
			"require say what --fix writes. Default audit", func(s string) error {
			m, err := guard.ParseMode(s)
			if err != nil {
				return errors.New("want audit, allow or require")
			}
			o.mode = m
			return nil
		})
		fs.BoolVar(&o.fix, "fix", false, "Write the fixed trust policies (default: change nothing)")
		fs.BoolVar(&o.trustTags, "trust-tags", false, "Honour the source-identity-guard:* role tags (only where an SCP protects them)")
		fs.Func("format", "Output format `text|json|sarif`. Default text", func(s string) error {
			if s != formatText && s != formatJSON && s != formatSARIF {
				return errors.New("want text, json or sarif")
			}
			o.format = s
			return nil
		})
		fs.Func("concurrency", fmt.Sprintf("`N` GetRole/UpdateAssumeRolePolicy calls in flight, 1 to 32. Default %d", sweep.DefaultConcurrency), func(s string) error {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 32 {
				return errors.New("want a number from 1 to 32")
			}
			o.concurrency = n
			return nil
		})
		fs.Func("pattern", "Source-identity value `PATTERN` the condition accepts (StringLike). Repeatable or\n"+
			"comma-separated. Default * (any value)", func(s string) error {
			for _, p := range splitList(s) {
				if p == "" {
					return fmt.Errorf("empty pattern in %q", s)
				}
				o.patterns = append(o.patterns, p)
			}
			return nil
		})
		fs.Func("federated", "Federated `PROVIDER` (ARN glob or built-in name) whose statements follow the mode\n"+
			"too. Repeatable or comma-separated. Default none", func(s string) error {
			for _, p := range splitList(s) {
				if p == "" {
					return fmt.Errorf("empty provider in %q", s)
				}
				o.federated = append(o.federated, trustpolicy.FederatedRule{Provider: p})
			}
			return nil
		})
		fs.Func("exempt", "Role `GLOB` exempt from the guard, matched against the name and path+name\n"+
			"('*' and '?'). Repeatable or comma-separated", func(s string) error {
			for _, p := range splitList(s) {
				if p == "" {
					return fmt.Errorf("empty pattern in %q", s)
				}
				o.exempt = append(o.exempt, p)
			}
			return nil
		})
		fs.Func("size-limit", fmt.Sprintf("Trust-policy length quota of `N` characters. Default %d, from %d to %d",
			trustpolicy.DefaultSizeLimit, trustpolicy.MinSizeLimit, trustpolicy.MaxSizeLimit), func(s string) error {
			n, err := parseSizeLimit(s)
			if err != nil {
				return err
			}
			o.sizeLimit = n
			return nil
		})
		fs.StringVar(&o.profile, "profile", "", "Shared-config `PROFILE` to use (default: AWS_PROFILE or the default chain)")
		fs.Func("max-attempts", fmt.Sprintf("`N` attempts per AWS call, throttling included (adaptive retry). Default %d",
			awsconfig.DefaultMaxAttempts), func(s string) error {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 50 {
				return errors.New("want a number from 1 to 50")
			}
			o.maxAttempts = n
			return nil
		})
		fs.BoolVar(&o.noProgress, "no-progress", false, "Never show the progress line on standard error")
		o.orgFlags(fs) // --org, --member-role, --source-identity, --account-concurrency (scan_org.go)
		return func(std stdio, _ []string) int { return o.run(std) }
	},
}

type scanOptions struct {
	mode        guard.Mode
	trustTags   bool
	fix         bool
	format      string
	concurrency int
	patterns    []string
	federated   []trustpolicy.FederatedRule
	exempt      []string
	sizeLimit   int
	profile     string
	maxAttempts int
	noProgress  bool
	org         orgOptions
}

// scanLine is one JSON Lines record; its fields are part of the CLI contract.
type scanLine struct {
	Role     string                `json:"role"`
	ARN      string                `json:"arn"`
	Account  string                `json:"account"` // the role's account, 12 digits
	Path     string                `json:"path"`
	Decision guard.Decision        `json:"decision"`
	Reason   string                `json:"reason"`
	Mode     guard.Mode            `json:"mode"`
	Findings []trustpolicy.Finding `json:"findings"`
	Error    string                `json:"error,omitempty"`
}

func (o *scanOptions) run(std stdio) int {
	policy := guard.Policy{Mode: o.mode, Patterns: o.patterns, ExemptRolePatterns: o.exempt,
		Federated: o.federated, SizeLimit: o.sizeLimit, TrustTags: o.trustTags}
	// Federated rules without a mode follow each role's mode; validate them as require.
	rules := trustpolicy.Rules{Mode: trustpolicy.ModeRequire, Patterns: o.patterns, SizeLimit: o.sizeLimit}
	for _, f := range o.federated {
		rules.Federated = append(rules.Federated, trustpolicy.FederatedRule{Provider: f.Provider, Mode: trustpolicy.ModeRequire})
	}
	if err := rules.Validate(); err != nil {
		return usageFail(std, "scan", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	counter := &apicalls.Counter{}
	opts := awsconfig.Options{Counter: counter, MaxAttempts: o.maxAttempts}
	if o.profile != "" {
		opts.Extra = append(opts.Extra, config.WithSharedConfigProfile(o.profile))
	}
	cfg, err := awsconfig.Load(ctx, opts)
	if err != nil {
		return o.failed(std, explainScanError("could not load the AWS configuration", err), sweep.Summary{}, nil)
	}
	// The AWS-created roles' exemption needs the organization's management account, as in the
	// functions; without it such names are judged like any other role.
	// One attempt: a missing permission or an unreachable endpoint must not slow the scan down
	// (an unreachable endpoint then fails the listing, with its own message).
	orgc := organizations.NewFromConfig(cfg, func(o *organizations.Options) { o.RetryMaxAttempts = 1 })
	if m, err := orgaccounts.NewManagementClient(orgc).ManagementAccount(ctx); err != nil {
		fmt.Fprintf(std.err, "sidguard scan: warning: the organization's management account could not be read, so roles with AWS-created names are judged like any other role (%v)\n", err)
	} else {
		policy.ManagementAccount = m
	}
	if o.org.on { // every account of the organization (scan_org.go)
		return o.runOrg(ctx, std, cfg, counter, policy)
	}
	s := &sweep.Sweeper{Roles: iamrole.New(iam.NewFromConfig(cfg)), Policy: policy, DryRun: !o.fix, Concurrency: o.concurrency}

	out := newScanWriter(o.format, std.out, o.mode)
	progress := newProgress(std.err, !o.noProgress && isTerminal(std.err))
	start := time.Now()
	sum, runErr := s.Run(ctx, sweep.Position{}, func(r sweep.Result) {
		progress.add(r)
		out.add(r)
	})
	progress.done()
	sum.APICalls = counter.Snapshot()
	if runErr != nil {
		// The account could not be listed to the end: say so, and claim no compliance figure
		// (it would cover only the roles judged before the failure, or none).
		return o.failed(std, explainScanError("could not list the account's roles", runErr), sum, out)
	}
	if err := out.finish(sum, time.Since(start)); err != nil {
		fmt.Fprintf(std.err, "sidguard scan: write output: %v\n", err)
		return exitUsage
	}
	if n := sum.Counts[guard.Failed]; n > 0 {
		fmt.Fprintf(std.err, "sidguard scan: %s could not be judged or written (decision failed)\n", plural(n, "role"))
		return exitUsage
	}
	if sum.Counts[guard.WouldPatch]+sum.Counts[guard.Unfixable] > 0 {
		return exitFindings
	}
	return exitOK
}

// failed reports a scan that could not run to the end: the reason on standard error (with
// the SDK's error as detail), in the text summary's place or as a failed SARIF invocation, and
// no compliance figure in any format. It returns exitUsage (2).
func (o *scanOptions) failed(std stdio, f scanFailure, sum sweep.Summary, out *scanWriter) int {
	if out == nil {
		out = newScanWriter(o.format, std.out, o.mode)
	}
	if err := out.fail(f, sum); err != nil {
		fmt.Fprintf(std.err, "sidguard scan: write output: %v\n", err)
	}
	fmt.Fprintf(std.err, "sidguard scan: %s\n", f)
	fmt.Fprintf(std.err, "sidguard scan: judged %s before stopping; no compliance figure (detail: %v)\n", plural(sum.Roles, "role"), f.err)
	return exitUsage
}

// hasNote reports an informational finding (e.g. any-aws-account), which puts even a
// compliant role in the SARIF log, as a note.
func hasNote(fs []trustpolicy.Finding) bool {
	for _, f := range fs {
		if f.Code.Informational() {
			return true
		}
	}
	return false
}

// nonCompliant reports whether a role goes in the table and the SARIF log.
func nonCompliant(d guard.Decision) bool { return d.Publishes() }

// scanWriter renders the results in one format.
type scanWriter struct {
	format string
	w      io.Writer
	mode   guard.Mode
	err    error
	rows   []sweep.Result // text: the non-compliant roles
	org    bool           // text: the ROLE column starts with the account
	log    *sarif.Log
}

func newScanWriter(format string, w io.Writer, mode guard.Mode) *scanWriter {
	sw := &scanWriter{format: format, w: w, mode: mode}
	if format == formatSARIF {
		sw.log = sarif.New(sarif.Driver{Name: "sidguard", Version: versionString(),
			InformationURI: "https://github.com/source-identity-guard/source-identity-guard", Rules: sarifRules()})
	}
	return sw
}

func (sw *scanWriter) add(r sweep.Result) {
	if sw.err != nil {
		return
	}
	switch sw.format {
	case formatJSON:
		line := scanLine{Role: r.Role.Name, ARN: r.Role.ARN, Account: accountOfARN(r.Role.ARN), Path: r.Role.Path, Decision: r.Verdict.Decision,
			Reason: r.Verdict.Reason, Mode: r.Verdict.Mode, Findings: nonNil(r.Verdict.Findings)}
		if r.Err != nil {
			line.Error = r.Err.Error()
		}
		b, err := marshalLine(line)
		if err == nil {
			_, err = sw.w.Write(b)
		}
		sw.err = err
	case formatSARIF:
		if nonCompliant(r.Verdict.Decision) || hasNote(r.Verdict.Findings) {
			sw.log.Add(sarifResult(r))
		}
	default:
		if nonCompliant(r.Verdict.Decision) {
			r.Role.TrustPolicy, r.Verdict.Before, r.Verdict.After = nil, nil, nil // keep the table small
			sw.rows = append(sw.rows, r)
		}
	}
}

func marshalLine(v any) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

// fail ends the output of a scan that failed: JSON Lines keep the records of the roles judged
// (one per role, nothing else); SARIF says the invocation failed and why; text prints the
// table so far and the failure in place of the summary. No format carries a compliance figure.
func (sw *scanWriter) fail(f scanFailure, sum sweep.Summary) error {
	if sw.err != nil {
		return sw.err
	}
	switch sw.format {
	case formatJSON:
		return nil
	case formatSARIF:
		sw.log.Runs[0].Invocations = []sarif.Invocation{{ExecutionSuccessful: false,
			ToolExecutionNotifications: []sarif.Notification{{Level: sarif.LevelError, Message: sarif.Message{Text: f.String()}}}}}
		sw.log.Runs[0].Properties = map[string]any{"completed": false, "error": f.String(), "roles": sum.Roles,
			"counts": sum.Counts, "mode": sum.Mode, "dryRun": sum.DryRun, "apiCalls": sum.APICalls}
		return sw.log.Write(sw.w)
	}
	var b strings.Builder
	sw.writeTable(&b)
	fmt.Fprintf(&b, "%s (judged %s before stopping; no compliance figure)\n", f, plural(sum.Roles, "role"))
	_, err := io.WriteString(sw.w, b.String())
	return err
}

func (sw *scanWriter) writeTable(b *strings.Builder) {
	if len(sw.rows) == 0 {
		return
	}
	tw := tabwriter.NewWriter(b, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "DECISION\tROLE\tFINDINGS\tREASON")
	for _, r := range sw.rows {
		role := r.Role.Path + r.Role.Name
		if sw.org {
			role = accountOfARN(r.Role.ARN) + ":" + role
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Verdict.Decision, role,
			findingCodes(r.Verdict.Findings), r.Verdict.Reason)
	}
	tw.Flush()
}

func (sw *scanWriter) finish(sum sweep.Summary, took time.Duration) error {
	if sw.err != nil {
		return sw.err
	}
	switch sw.format {
	case formatJSON:
		return nil
	case formatSARIF:
		sw.log.Runs[0].Invocations = []sarif.Invocation{{ExecutionSuccessful: true}}
		sw.log.Runs[0].Properties = map[string]any{"completed": sum.Completed, "counts": sum.Counts, "roles": sum.Roles,
			"complianceRatio": sum.ComplianceRatio, "mode": sum.Mode, "dryRun": sum.DryRun, "apiCalls": sum.APICalls}
		return sw.log.Write(sw.w)
	}
	var b strings.Builder
	sw.writeTable(&b)
	b.WriteString(summaryLine(sum, took))
	_, err := io.WriteString(sw.w, b.String())
	return err
}

func findingCodes(fs []trustpolicy.Finding) string {
	var codes []string
	for _, f := range fs {
		if c := string(f.Code); !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	if len(codes) == 0 {
		return "-"
	}
	return strings.Join(codes, ",")
}

// summaryLine: "2100 roles, mode audit (dry run): 1146 compliant, 478 would-patch, ...;
// compliance 74.7%; 3 pages, 672 API calls, 3.2s".
func summaryLine(sum sweep.Summary, took time.Duration) string {
	var parts []string
	for _, d := range []guard.Decision{guard.Compliant, guard.Patched, guard.WouldPatch, guard.Exempt,
		guard.Skipped, guard.Unfixable, guard.Failed} {
		if n := sum.Counts[d]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, d))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing to judge")
	}
	calls := 0
	for _, n := range sum.APICalls {
		calls += n
	}
	run := "fix"
	if sum.DryRun {
		run = "dry run"
	}
	state := ""
	if !sum.Completed {
		state = " INCOMPLETE"
	}
	return fmt.Sprintf("%s, mode %s (%s)%s: %s; compliance %.1f%%; %s, %s, %s\n",
		plural(sum.Roles, "role"), sum.Mode, run, state, strings.Join(parts, ", "), 100*sum.ComplianceRatio,
		plural(sum.Pages, "page"), plural(calls, "API call"), took.Round(time.Millisecond))
}

// sarifRules describes the finding codes the engine documents, plus the two decisions that have
// no finding of their own.
func sarifRules() []sarif.Rule {
	rule := func(id, short, help, level string) sarif.Rule {
		return sarif.Rule{ID: id, Name: id, ShortDescription: &sarif.Message{Text: short},
			Help: &sarif.Message{Text: help}, DefaultConfiguration: &sarif.Configuration{Level: level},
			Properties: map[string]any{"tags": []string{"security", "iam", "source-identity"}}}
	}
	return []sarif.Rule{
		rule(string(trustpolicy.CodeMissingSetSourceIdentity), "Callers cannot set a source identity",
			"Add sts:SetSourceIdentity to the statements that name AWS principals (sidguard fix, or the sweep in allow mode).", sarif.LevelWarning),
		rule(string(trustpolicy.CodeMissingCondition), "Callers need not set a source identity",
			"Add a sts:SourceIdentity condition so that callers without one are refused (sidguard fix, or the sweep in require mode).", sarif.LevelWarning),
		rule(string(trustpolicy.CodeDenyConflict), "A Deny statement blocks sts:SetSourceIdentity",
			"A person must reconcile the Deny statement with the source-identity requirement.", sarif.LevelError),
		rule(string(trustpolicy.CodeWildcardPrincipal), "Anyone may assume the role",
			"\"Principal\": \"*\" includes services; a person must name the principals.", sarif.LevelError),
		rule(string(trustpolicy.CodeTooLarge), "The fix would exceed the trust-policy size quota",
			"Shorten the policy or raise the \"role trust policy length\" quota.", sarif.LevelError),
		rule(string(trustpolicy.CodeUnrecognisedCondition), "The source identity is enforced in a form the guard does not rely on",
			"The guard adds the recognised StringLike sts:SourceIdentity condition (sidguard fix, or the sweep in require mode).", sarif.LevelWarning),
		rule(string(trustpolicy.CodeConditionConflict), "The statement's conditions refuse every source identity",
			"A person must reconcile the statement's sts:SourceIdentity conditions with the requirement.", sarif.LevelError),
		rule(string(trustpolicy.CodeAnyAWSAccount), "Any AWS account can assume the role",
			"The role trusts {\"AWS\": \"*\"} without a fence; a person should restrict it (e.g. an aws:PrincipalOrgID condition).", sarif.LevelNote),
		rule("unfixable", "The guard cannot fix this role",
			"See the result message: e.g. a policy that does not parse, a bad mode tag, or IAM refusing the fix.", sarif.LevelError),
		rule("failed", "The role could not be judged or written",
			"An AWS call failed (e.g. AccessDenied); run the scan again with the missing permission.", sarif.LevelError),
	}
}

func sarifResult(r sweep.Result) sarif.Result {
	v := r.Verdict
	ruleID := string(v.Decision)
	for _, f := range v.Findings {
		if !f.Fixed || v.Decision != guard.Unfixable {
			ruleID = string(f.Code)
			break
		}
	}
	if v.Decision == guard.Failed {
		ruleID = "failed"
	}
	level := sarif.LevelWarning
	switch v.Decision {
	case guard.Unfixable, guard.Failed:
		level = sarif.LevelError
	case guard.Patched, guard.Compliant:
		level = sarif.LevelNote
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "Role %s: %s (%s).", r.Role.ARN, v.Decision, v.Reason)
	for _, f := range v.Findings {
		fmt.Fprintf(&msg, " %s: %s", f.Code, f.Message)
		if !strings.HasSuffix(f.Message, ".") {
			msg.WriteByte('.')
		}
	}
	if r.Err != nil {
		fmt.Fprintf(&msg, " Error: %v.", r.Err)
	}
	return sarif.Result{
		RuleID:  ruleID,
		Level:   level,
		Message: sarif.Message{Text: msg.String()},
		Locations: []sarif.Location{{
			// Dashboards that need a file path get a stable one per role; the ARN is the real
			// location.
			PhysicalLocation: &sarif.PhysicalLocation{ArtifactLocation: sarif.ArtifactLocation{
				URI: "iam/roles" + r.Role.Path + r.Role.Name}},
			LogicalLocations: []sarif.LogicalLocation{{Name: r.Role.Name, FullyQualifiedName: r.Role.ARN, Kind: "resource"}},
		}},
		PartialFingerprints: map[string]string{"roleArn/ruleId": r.Role.ARN + "/" + ruleID},
		Properties: map[string]any{"decision": v.Decision, "mode": v.Mode, "roleArn": r.Role.ARN,
			"account": accountOfARN(r.Role.ARN), "findings": nonNil(v.Findings)}, // account
	}
}

// progress shows "scanned N roles (C non-compliant)" on a terminal's standard error.
type progress struct {
	w       io.Writer
	on      bool
	n, bad  int
	last    time.Time
	started time.Time
}

func newProgress(w io.Writer, on bool) *progress {
	return &progress{w: w, on: on, started: time.Now()}
}

func (p *progress) add(r sweep.Result) {
	p.n++
	if nonCompliant(r.Verdict.Decision) {
		p.bad++
	}
	if p.on && time.Since(p.last) > 100*time.Millisecond {
		p.last = time.Now()
		p.print()
	}
}

func (p *progress) print() {
	rate := float64(p.n) / max(time.Since(p.started).Seconds(), 0.001)
	fmt.Fprintf(p.w, "\r\x1b[Kscanning: %d roles, %d not compliant, %.0f roles/s", p.n, p.bad, rate)
}

func (p *progress) done() {
	if p.on {
		p.print()
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
