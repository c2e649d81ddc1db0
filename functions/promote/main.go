// Command promote is the scheduled Promote Lambda: once a day it reads the readiness evidence
// the Collect function keeps in the ledger (LEDGER_TABLE) over the window
// (PROMOTION_WINDOW_DAYS, default 14), and for every role of this account whose mode is allow
// and whose evidence is clean either publishes a "ready" decision (PROMOTION=propose; a person
// runs sidguard promote) or records the promotion in the ledger and publishes "promoted"
// (PROMOTION=auto). The guard's functions then judge the role under require. Wiring only: the
// logic is in shared/promotion, the I/O in shared/ledger, shared/iamrole and shared/eventbus.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/source-identity-guard/source-identity-guard/shared/awsconfig"
	"github.com/source-identity-guard/source-identity-guard/shared/emf"
	"github.com/source-identity-guard/source-identity-guard/shared/eventbus"
	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/ledger"
	"github.com/source-identity-guard/source-identity-guard/shared/promotion"
)

// Environment variables, besides the guard's (guard.LoadSettings with MODE: a role is a
// candidate when the Enforce function's mode, or its protected tag, is allow).
const (
	EnvPromotion  = "PROMOTION"             // off | propose | auto (default propose)
	EnvWindowDays = "PROMOTION_WINDOW_DAYS" // default 14
	EnvTable      = "LEDGER_TABLE"          // the evidence ledger (EvidenceLedgerTable)
	EnvMode       = "MODE"
)

func main() {
	logger := lambdacontext.NewLogger()
	e, err := newEvaluator(context.Background(), os.LookupEnv)
	if err != nil {
		logger.Error("startup failed", "err", err)
		os.Exit(1)
	}
	e.Logger = logger
	e.Metrics = emf.New(os.Stdout, emf.Namespace)
	lambda.StartHandlerFunc(func(ctx context.Context, _ events.CloudWatchEvent) (promotion.Summary, error) {
		return e.Run(ctx)
	})
}

func newEvaluator(ctx context.Context, lookup func(string) (string, bool)) (*promotion.Evaluator, error) {
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	s, err := guard.LoadSettings(lookup, EnvMode)
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	setting, err := promotion.ParseSetting(get(EnvPromotion))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvPromotion, err)
	}
	days := promotion.DefaultWindowDays
	if v := get(EnvWindowDays); v != "" {
		if days, err = strconv.Atoi(v); err != nil {
			return nil, fmt.Errorf("%s: %q is not a whole number of days", EnvWindowDays, v)
		}
	}
	if err := promotion.ValidateWindow(days); err != nil {
		return nil, fmt.Errorf("%s: %w", EnvWindowDays, err)
	}
	table := get(EnvTable)
	if table == "" {
		return nil, fmt.Errorf("%s is not set", EnvTable)
	}
	cfg, err := awsconfig.Load(ctx, awsconfig.Options{})
	if err != nil {
		return nil, err
	}
	bus := eventbus.New(eventbridge.NewFromConfig(cfg), s.BusName)
	return &promotion.Evaluator{
		Setting:    setting,
		WindowDays: days,
		Policy:     s.Policy,
		Roles:      iamrole.New(iam.NewFromConfig(cfg)),
		Ledger:     ledger.New(dynamodb.NewFromConfig(cfg), table, 0),
		Publisher: publisherFunc(func(ctx context.Context, evs []promotion.Event) (int, error) {
			entries := make([]eventbus.Entry, len(evs))
			for i, e := range evs {
				entries[i] = eventbus.Entry{Source: guard.EventSource, DetailType: e.DetailType, Detail: e.Detail, Resources: e.Resources}
			}
			return bus.Publish(ctx, entries)
		}),
		Table:   table,
		Account: s.Account,
	}, nil
}

type publisherFunc func(ctx context.Context, evs []promotion.Event) (int, error)

func (f publisherFunc) Publish(ctx context.Context, evs []promotion.Event) (int, error) {
	return f(ctx, evs)
}
