package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/source-identity-guard/source-identity-guard/shared/awsconfig"
	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/ledger"
	"github.com/source-identity-guard/source-identity-guard/shared/promotion"
	"github.com/source-identity-guard/source-identity-guard/shared/readiness"
	"github.com/source-identity-guard/source-identity-guard/shared/stssession"
)

const promoteArgs = "--table TABLE --role ARN [--force] [--window DAYS] [--now RFC3339] [--dry-run]"

var promoteCommand = &command{
	name:    "promote",
	args:    promoteArgs,
	summary: "move one role from allow to require, on the evidence in the ledger",
	help: `Reads the role's readiness evidence from the ledger TABLE (the stack's
EvidenceLedgerTableName output) over the window (--window days ending at --now) and, when every
assumption carried a source identity and nobody used the console's switch-role, records the
role as promoted to require, by you (your identity from STS GetCallerIdentity). The guard's
functions then judge the role under require: its next event or the next sweep patches its trust
policy. A promotion only raises a role from allow to require: exempt and audit roles are not
changed by it.

A role with a caller that assumed it without a source identity is refused; the refusal names
each caller, its last call and what it should do. A console-used role is refused with a warning
(the console cannot pass a source identity, so its users lose switch-role) unless --force; the
record then says forced. --force never overrides callers without a source identity.

Exit status: 0 promoted (or already promoted; with --dry-run, would promote), 1 refused, 2
unusable input or an AWS error.`,
	setup: func(fs *flag.FlagSet) func(stdio, []string) int {
		table := fs.String("table", "", "The ledger: DynamoDB `TABLE` (EvidenceLedgerTableName)")
		role := fs.String("role", "", "The role's `ARN`")
		force := fs.Bool("force", false, "Promote a console-used role anyway (recorded as forced)")
		dryRun := fs.Bool("dry-run", false, "Say what would be done; record nothing")
		days := fs.Int("window", promotion.DefaultWindowDays, "Window length in `DAYS`, ending at --now (1 to 90)")
		var now time.Time
		fs.Func("now", "End of the window, `RFC3339`. Default: now", func(s string) error {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return fmt.Errorf("want an RFC 3339 time such as 2026-12-01T00:00:00Z")
			}
			now = t
			return nil
		})
		return func(std stdio, _ []string) int {
			const name = "promote"
			switch {
			case *table == "":
				return usageError(std.err, name, promoteArgs, "missing --table TABLE (the stack's EvidenceLedgerTableName)")
			case *role == "":
				return usageError(std.err, name, promoteArgs, "missing --role ARN")
			case guard.PromotionKey(*role) == "":
				return usageError(std.err, name, promoteArgs, fmt.Sprintf("--role %q: want an IAM role ARN, arn:aws:iam::ACCOUNT:role/NAME", *role))
			}
			if err := promotion.ValidateWindow(*days); err != nil {
				return usageError(std.err, name, promoteArgs, "--"+err.Error())
			}
			if now.IsZero() {
				now = time.Now().UTC().Truncate(time.Second)
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			cfg, err := awsconfig.Load(ctx, awsconfig.Options{})
			if err != nil {
				fmt.Fprintf(std.err, "sidguard %s: %v\n", name, err)
				return exitUsage
			}
			req := promoteRequest{table: *table, role: *role, force: *force, dryRun: *dryRun, window: readiness.NewWindow(now, *days), now: now}
			return promoteRole(ctx, std, ledger.New(dynamodb.NewFromConfig(cfg), *table, 0), stssession.New(sts.NewFromConfig(cfg)), req)
		}
	},
}

// promotionLedger is what promote needs of the ledger (*ledger.Ledger).
type promotionLedger interface {
	Aggregate(ctx context.Context, w readiness.Window) (*readiness.Aggregator, error)
	Promotion(ctx context.Context, roleARN string) (promotion.Record, bool, error)
	PutPromotion(ctx context.Context, r promotion.Record) error
	EvidenceSince(ctx context.Context) (time.Time, error)
}

// callerIdentity is who runs the command (*stssession.Client).
type callerIdentity interface {
	CallerIdentity(ctx context.Context) (string, error)
}

type promoteRequest struct {
	table, role   string
	force, dryRun bool
	window        readiness.Window
	now           time.Time
}

func promoteRole(ctx context.Context, std stdio, l promotionLedger, who callerIdentity, req promoteRequest) int {
	const name = "promote"
	fail := func(err error) int {
		fmt.Fprintf(std.err, "sidguard %s: %v\n", name, err)
		return exitUsage
	}
	if rec, ok, err := l.Promotion(ctx, req.role); err != nil {
		return fail(err)
	} else if ok && rec.State == promotion.StateRequire {
		fmt.Fprintf(std.out, "%s: already promoted to require on %s by %s (forced: %v)\n", req.role, rec.At.Format(time.RFC3339), rec.By, rec.Forced)
		return exitOK
	}
	by, err := who.CallerIdentity(ctx)
	if err != nil {
		return fail(fmt.Errorf("who are you: %w", err))
	}
	agg, err := l.Aggregate(ctx, req.window)
	if err != nil {
		return fail(err)
	}
	ev := promotion.Unassumed(req.role, req.window)
	for _, r := range agg.Results() {
		if guard.PromotionKey(r.Role.ARN) == guard.PromotionKey(req.role) {
			ev = r
			break
		}
	}
	ev.Role.ARN = req.role
	if since, err := l.EvidenceSince(ctx); err != nil {
		return fail(err)
	} else if !promotion.Covered(since, req.window) {
		when := "an unknown time (the Promote function has not run yet)"
		if !since.IsZero() {
			when = since.Format(time.RFC3339)
		}
		fmt.Fprintf(std.err, "sidguard %s: warning: the ledger's evidence starts at %s, after the window's start %s: assumptions before that are not known\n",
			name, when, req.window.Start.Format(time.RFC3339))
	}
	rec, err := promotion.Decide(promotion.Request{RoleARN: req.role, Evidence: ev, By: by, Force: req.force, Now: req.now})
	var ref *promotion.Refusal
	if errors.As(err, &ref) {
		if errors.Is(err, promotion.ErrConsoleUsed) {
			fmt.Fprintf(std.err, "sidguard %s: warning: %s is console-used: promoting it locks its console users out of switch-role; pass --force to promote it anyway\n", name, req.role)
		}
		fmt.Fprintf(std.out, "REFUSED  %s: %v\n", req.role, err)
		for _, b := range ref.Blockers {
			who := b.Principal
			if b.PrincipalID != "" {
				who += " (unique id " + b.PrincipalID + ")"
			}
			fmt.Fprintf(std.out, "  - %s: last %s with %s\n    to do: %s\n", who, b.LastSeen, b.UserAgent, b.Action)
		}
		return exitFindings
	}
	if err != nil {
		return fail(err)
	}
	forced := ""
	if rec.Forced {
		forced = " (forced: console-used)"
	}
	if req.dryRun {
		fmt.Fprintf(std.out, "%s: would promote to require%s (dry run): %s\n", req.role, forced, readiness.Reason(ev))
		return exitOK
	}
	if err := l.PutPromotion(ctx, rec); err != nil {
		return fail(err)
	}
	fmt.Fprintf(std.out, "%s: promoted to require by %s%s: %s; the guard's next event or sweep for this role patches it\n",
		req.role, rec.By, forced, readiness.Reason(ev))
	return exitOK
}
