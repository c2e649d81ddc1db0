// Command sweep is the scheduled Sweep Lambda: it reconciles every IAM role of the account with
// the guard's policy (SWEEP_MODE audit, allow or require), resuming where the previous run
// stopped (a position signed with a KMS HMAC key, SWEEP_POSITION_KEY_ID), and reports a
// decision event per non-compliant role and one "Sweep Summary" event. A lease in DynamoDB
// (SWEEP_LOCK_TABLE) keeps two sweeps from overlapping.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	orgsdk "github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/source-identity-guard/source-identity-guard/shared/apicalls"
	"github.com/source-identity-guard/source-identity-guard/shared/awsconfig"
	"github.com/source-identity-guard/source-identity-guard/shared/checkpoint"
	"github.com/source-identity-guard/source-identity-guard/shared/emf"
	"github.com/source-identity-guard/source-identity-guard/shared/eventbus"
	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/kmsmac"
	"github.com/source-identity-guard/source-identity-guard/shared/lease"
	"github.com/source-identity-guard/source-identity-guard/shared/ledger"
	"github.com/source-identity-guard/source-identity-guard/shared/orgaccounts"
	"github.com/source-identity-guard/source-identity-guard/shared/sweep"
)

func main() {
	logger := lambdacontext.NewLogger()
	// SWEEP_SCOPE=organization sweeps every account of the organization (org.go).
	if scope, err := sweepScope(os.LookupEnv); err != nil {
		logger.Error("startup failed", "err", err)
		os.Exit(1)
	} else if scope != orgsweepScopeAccount {
		oh, err := newOrgHandler(context.Background(), os.LookupEnv, logger, os.Stdout)
		if err != nil {
			logger.Error("startup failed", "err", err)
			os.Exit(1)
		}
		lambda.StartHandlerFunc(oh.Handle)
		return
	}
	h, err := newHandler(context.Background(), os.LookupEnv, logger, os.Stdout)
	if err != nil {
		logger.Error("startup failed", "err", err)
		os.Exit(1)
	}
	lambda.StartHandlerFunc(h.Handle)
}

// handler runs one sweep job per invocation.
type handler struct {
	job *sweep.Job
}

func newHandler(ctx context.Context, lookup func(string) (string, bool), logger *slog.Logger, metrics io.Writer) (*handler, error) {
	s, err := loadSettings(lookup)
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	counter := &apicalls.Counter{}
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{Counter: counter})
	if err != nil {
		return nil, err
	}
	fights, err := sweepFights(lookup, cfg, logger) // IAC_FIGHT_THRESHOLD, IAC_FIGHT_TABLE
	if err != nil {
		return nil, err
	}
	bus := eventbus.New(eventbridge.NewFromConfig(cfg), s.guard.BusName)
	job := &sweep.Job{
		Sweeper: &sweep.Sweeper{
			// A listed role that is gone was deleted: no wait for IAM to catch up (that wait is for
			// the event path, which reads a role right after CreateRole).
			Roles:       iamrole.New(iam.NewFromConfig(cfg), iamrole.WithNotFoundDelays()),
			Policy:      s.guard.Policy,
			Concurrency: s.concurrency,
			Margin:      s.margin,
			Logger:      logger,
			Fights:      fights,
		},
		Positions: checkpoint.New(ssm.NewFromConfig(cfg), s.positionParameter),
		Publisher: sweep.PublisherFunc(func(ctx context.Context, evs []sweep.Event) (int, error) {
			entries := make([]eventbus.Entry, len(evs))
			for i, e := range evs {
				entries[i] = eventbus.Entry{Source: guard.EventSource, DetailType: e.DetailType, Detail: e.Detail, Resources: e.Resources}
			}
			return bus.Publish(ctx, entries)
		}),
		Account:      s.guard.Account,
		Organization: orgaccounts.NewManagementClient(orgsdk.NewFromConfig(cfg)),
		Calls:        counter.Snapshot,
		Metrics:      emf.New(metrics, emf.Namespace),
		Logger:       logger,
	}
	if s.positionKey != "" {
		job.Signer = kmsmac.New(kms.NewFromConfig(cfg), s.positionKey)
	} else {
		logger.Warn(EnvPositionKey + " not set: the sweep position is not signed (the template always sets it)")
	}
	// PROMOTION_TABLE: read every promotion once per run.
	if v, _ := lookup(EnvPromotionTable); strings.TrimSpace(v) != "" {
		job.Promotions = ledger.New(dynamodb.NewFromConfig(cfg), strings.TrimSpace(v), 0)
	}
	if s.lockTable != "" {
		job.Lock = lease.New(dynamodb.NewFromConfig(cfg), s.lockTable, "sweep")
	} else {
		logger.Warn(EnvLockTable + " not set: nothing stops two sweeps from overlapping (the template always sets it)")
	}
	return &handler{job: job}, nil
}

// Handle runs a sweep for a scheduled event (or any event: an on-demand invoke may send {}).
// It returns the summary; an error only when the sweep could not list roles or save its
// position, so that the function's Errors alarm fires.
func (h *handler) Handle(ctx context.Context, _ events.CloudWatchEvent) (sweep.Summary, error) {
	job := *h.job
	job.Owner = "sweep"
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		job.Owner = lc.AwsRequestID
	}
	return job.Run(ctx)
}
