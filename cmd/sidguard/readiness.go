package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/source-identity-guard/source-identity-guard/shared/awsconfig"
	"github.com/source-identity-guard/source-identity-guard/shared/ledger"
	"github.com/source-identity-guard/source-identity-guard/shared/readiness"
	"github.com/source-identity-guard/source-identity-guard/shared/sarif"
	"github.com/source-identity-guard/source-identity-guard/shared/trailfiles"
)

const readinessArgs = "[--format text|json|sarif] [--window DAYS] [--now RFC3339] PATH... | --ledger TABLE"

var readinessCommand = &command{
	name:    "readiness",
	args:    readinessArgs,
	summary: "say which roles can require a source identity, from CloudTrail log files",
	help: `Reads CloudTrail log files as a trail delivers them and says, for every role that was the
target of an AssumeRole (or AssumeRoleWithSAML / AssumeRoleWithWebIdentity) or of a console
switch-role, whether it is ready to require a source identity: over the window (--window
days ending at --now) every assumption carried a source identity and nobody used the console's
switch-role. A role nobody assumed in the window is ready. For each caller that would be
locked out it prints the last call, the user agent and what to do.

PATH is a file, a folder (walked recursively; .json and .json.gz files, CloudTrail-Digest
folders skipped) or s3://bucket/prefix (read with the default AWS credentials). Instead of
PATHs, --ledger TABLE reads the evidence the Collect function keeps in DynamoDB (the stack's
EvidenceLedgerTableName output). Calls by AWS services, failed calls and the caller-side copy
of a cross-account call are not counted (docs/rollout.md says why). --format json prints one JSON object per role (JSON Lines);
--format sarif a SARIF 2.1.0 log with one result per role that is not ready.

Exit status: 0 every role is ready, 1 some role is not, 2 unusable input (bad flags, a path
that cannot be read, a file that is not a CloudTrail log file).`,
	maxArgs: math.MaxInt,
	setup: func(fs *flag.FlagSet) func(stdio, []string) int {
		format := "text"
		fs.Func("format", "Output format `text|json|sarif`. Default text", func(s string) error {
			if s != "text" && s != "json" && s != "sarif" {
				return fmt.Errorf("want text, json or sarif")
			}
			format = s
			return nil
		})
		days := fs.Int("window", readiness.DefaultDays, "Window length in `DAYS`, ending at --now (1 to 3650)")
		table := fs.String("ledger", "", "Read the live evidence from the DynamoDB `TABLE` instead of log files")
		var now time.Time
		fs.Func("now", "End of the window, `RFC3339` (e.g. 2026-12-01T00:00:00Z). Default: now", func(s string) error {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return fmt.Errorf("want an RFC 3339 time such as 2026-12-01T00:00:00Z")
			}
			now = t
			return nil
		})
		return func(std stdio, args []string) int {
			const name = "readiness"
			if len(args) == 0 && *table == "" {
				return usageError(std.err, name, readinessArgs, "missing PATH: name CloudTrail log files, folders or s3:// prefixes (or --ledger TABLE)")
			}
			if len(args) > 0 && *table != "" {
				return usageError(std.err, name, readinessArgs, "give PATHs or --ledger, not both (the same calls would be counted twice)")
			}
			if *days < 1 || *days > 3650 {
				return usageError(std.err, name, readinessArgs, fmt.Sprintf("--window %d: want 1 to 3650 days", *days))
			}
			if now.IsZero() {
				now = time.Now().UTC().Truncate(time.Second)
			}
			window := readiness.NewWindow(now, *days)
			var agg *readiness.Aggregator
			var nfiles int
			var err error
			if *table != "" {
				agg, err = ledgerReadiness(context.Background(), *table, window)
			} else {
				agg, nfiles, err = gatherReadiness(context.Background(), args, window)
			}
			if err != nil {
				fmt.Fprintf(std.err, "sidguard %s: %v\n", name, err)
				return exitUsage
			}
			results := agg.Results()
			summary := readinessSummary(agg.Stats(), results, nfiles, window)
			switch format {
			case "json":
				err = writeReadinessJSON(std.out, results)
				fmt.Fprintf(std.err, "sidguard %s: %s\n", name, summary)
			case "sarif":
				err = writeReadinessSARIF(std.out, results, summary)
				fmt.Fprintf(std.err, "sidguard %s: %s\n", name, summary)
			default:
				err = writeReadinessText(std.out, results, summary, *days)
			}
			if err != nil {
				fmt.Fprintf(std.err, "sidguard %s: write output: %v\n", name, err)
				return exitUsage
			}
			for _, ev := range results {
				if !ev.Ready {
					return exitFindings
				}
			}
			return exitOK
		}
	},
}

// gatherReadiness reads every record of the files under paths into one aggregator (one per
// worker, merged).
func gatherReadiness(ctx context.Context, paths []string, w readiness.Window) (*readiness.Aggregator, int, error) {
	reader, files, err := trailInput(ctx, paths)
	if err != nil {
		return nil, 0, err
	}
	workers := min(trailWorkers(), len(files))
	aggs := make([]*readiness.Aggregator, workers)
	for i := range aggs {
		aggs[i] = readiness.NewAggregator(w)
	}
	decs := newDecoders(workers)
	err = reader.Scan(ctx, files, workers, func(worker int, _ trailfiles.File, _ int, raw []byte) error {
		rec, err := decs[worker].Decode(raw)
		if err != nil {
			return err
		}
		aggs[worker].AddRecord(rec)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	for _, a := range aggs[1:] {
		aggs[0].Merge(a)
	}
	return aggs[0], len(files), nil
}

// ledgerReadiness reads the Collect function's ledger.
func ledgerReadiness(ctx context.Context, table string, w readiness.Window) (*readiness.Aggregator, error) {
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{})
	if err != nil {
		return nil, err
	}
	return ledger.New(dynamodb.NewFromConfig(cfg), table, 0).Aggregate(ctx, w)
}

func readinessSummary(st readiness.Stats, results []readiness.RoleEvidence, files int, w readiness.Window) string {
	ready := 0
	for _, ev := range results {
		if ev.Ready {
			ready++
		}
	}
	var b strings.Builder
	source := plural(files, "file")
	if files == 0 {
		source = "the ledger"
	}
	fmt.Fprintf(&b, "%d roles (%d ready, %d not ready) from %s in %s; in the window %s to %s: %s, %s",
		len(results), ready, len(results)-ready, plural(st.Records, "record"), source,
		w.Start.Format(time.RFC3339), w.End.Format(time.RFC3339),
		plural(st.Assumptions, "role assumption"), plural(st.Console, "console switch-role"))
	reasons := []struct {
		k    readiness.Skip
		what string
	}{
		{readiness.SkipService, "by AWS services"},
		{readiness.SkipFailed, "failed"},
		{readiness.SkipCallerCopy, "caller-side cop(y|ies) of cross-account calls"},
		{readiness.SkipOutsideWindow, "outside the window"},
		{readiness.SkipNoRole, "without a role ARN"},
		{readiness.SkipBadTime, "without a valid eventTime"},
	}
	var parts []string
	for _, r := range reasons {
		if n := st.Skipped[r.k]; n > 0 {
			what := r.what
			if one, many, ok := strings.Cut(what, "(y|ies)"); ok {
				what = one + "ies" + many
				if n == 1 {
					what = one + "y" + many
				}
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	if len(parts) > 0 {
		b.WriteString("; not counted: " + strings.Join(parts, ", "))
	}
	if n := st.Skipped[readiness.SkipOtherEvent]; n > 0 {
		fmt.Fprintf(&b, "; %s of other events", plural(n, "record"))
	}
	return b.String()
}

func writeReadinessJSON(w io.Writer, results []readiness.RoleEvidence) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, ev := range results {
		if err := enc.Encode(readiness.ToRecord(ev)); err != nil {
			return err
		}
	}
	return nil
}

func writeReadinessText(w io.Writer, results []readiness.RoleEvidence, summary string, days int) error {
	var b strings.Builder
	// Not-ready roles first (they need someone), each group by ARN.
	sorted := append([]readiness.RoleEvidence(nil), results...)
	sort.SliceStable(sorted, func(i, j int) bool { return !sorted[i].Ready && sorted[j].Ready })
	for _, ev := range sorted {
		if ev.Ready {
			fmt.Fprintf(&b, "READY      %s: %s\n", ev.Role.ARN, readiness.Reason(ev))
			continue
		}
		fmt.Fprintf(&b, "NOT READY  %s: %s\n", ev.Role.ARN, readiness.Reason(ev))
		for _, c := range ev.Callers {
			if !c.Blocks() {
				continue
			}
			who := c.Principal
			if c.PrincipalID != "" {
				who += " (" + c.Type + ", unique id " + c.PrincipalID + ")"
			}
			var counts []string
			if c.Assumptions > 0 {
				counts = append(counts, fmt.Sprintf("%d of %d assumptions without a source identity", c.WithoutSourceIdentity, c.Assumptions))
			}
			if c.ConsoleSessions > 0 {
				counts = append(counts, plural(c.ConsoleSessions, "console session"))
			}
			fmt.Fprintf(&b, "  - %s: %s; last %s", who, strings.Join(counts, ", "), c.LastSeen.Format(time.RFC3339))
			if c.UserAgent != "" {
				fmt.Fprintf(&b, " with %s (%s)", truncate(c.UserAgent, 60), c.Client)
			}
			fmt.Fprintf(&b, "\n    to do: %s\n", readiness.Action(c))
		}
	}
	if len(results) == 0 {
		fmt.Fprintf(&b, "No role assumptions or console switch-roles found.\n")
	}
	fmt.Fprintf(&b, "\n%s (window %d days).\n", summary, days)
	_, err := io.WriteString(w, b.String())
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func writeReadinessSARIF(w io.Writer, results []readiness.RoleEvidence, summary string) error {
	rule := func(id, short, help string) sarif.Rule {
		return sarif.Rule{ID: id, Name: id, ShortDescription: &sarif.Message{Text: short},
			Help: &sarif.Message{Text: help}, DefaultConfiguration: &sarif.Configuration{Level: sarif.LevelWarning}}
	}
	log := sarif.New(sarif.Driver{Name: "sidguard", Version: versionString(), Rules: []sarif.Rule{
		rule("readiness-without-source-identity", "Callers assume the role without a source identity",
			"Requiring a source identity would lock these callers out: each caller's action says how it can pass one; otherwise exempt the role."),
		rule("readiness-console-used", "The role is used through the console's switch-role",
			"The console cannot pass a source identity: keep the role out of require (exempt it) or move its users to sidguard credentials."),
	}})
	for _, ev := range results {
		if ev.Ready {
			continue
		}
		id := "readiness-without-source-identity"
		if ev.ConsoleUsed {
			id = "readiness-console-used"
		}
		var msg strings.Builder
		fmt.Fprintf(&msg, "%s: %s.", ev.Role.ARN, readiness.Reason(ev))
		for _, c := range ev.Callers {
			if c.Blocks() {
				fmt.Fprintf(&msg, " %s (last %s): %s.", c.Principal, c.LastSeen.Format(time.RFC3339), readiness.Action(c))
			}
		}
		log.Add(sarif.Result{
			RuleID:  id,
			Level:   sarif.LevelWarning,
			Message: sarif.Message{Text: msg.String()},
			Locations: []sarif.Location{{LogicalLocations: []sarif.LogicalLocation{{
				Name: ev.Role.Name, FullyQualifiedName: ev.Role.ARN, Kind: "resource"}}}},
			PartialFingerprints: map[string]string{"roleArn": ev.Role.ARN},
			Properties:          map[string]any{"readiness": readiness.ToRecord(ev)},
		})
	}
	log.Runs[0].Properties = map[string]any{"summary": summary}
	return log.Write(w)
}
