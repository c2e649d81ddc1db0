package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/ledger"
)

// fights returns the IaC fight rule (IAC_FIGHT_THRESHOLD) on the write log in IAC_FIGHT_TABLE,
// or nil when either is off. The DynamoDB client is built on the first use.
func (c *clients) fights(lookup func(string) (string, bool), logger *slog.Logger) (*guard.Fights, error) {
	s, err := guard.LoadFightSettings(lookup)
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	if !s.On() {
		if s.Rule.Threshold > 0 {
			logger.Warn(guard.EnvFightTable + " not set: no limit on re-patching a role an IaC tool keeps re-opening (the template always sets it)")
		}
		return nil, nil
	}
	return &guard.Fights{Rule: s.Rule, Log: &lazyWrites{build: func() *ledger.Writes {
		return ledger.NewWrites(dynamodb.NewFromConfig(c.cfg, func(o *dynamodb.Options) {
			if ep := serviceEndpoint(c.lookup, "DYNAMODB"); ep != nil {
				o.BaseEndpoint = ep
			}
		}), s.Table, 0)
	}}}, nil
}

// lazyWrites builds the write log on its first use (no client at start: see clients).
type lazyWrites struct {
	once  sync.Once
	build func() *ledger.Writes
	w     *ledger.Writes
}

func (l *lazyWrites) get() *ledger.Writes {
	l.once.Do(func() { l.w = l.build() })
	return l.w
}

func (l *lazyWrites) Writes(ctx context.Context, roleARN string, since time.Time) ([]time.Time, error) {
	return l.get().Writes(ctx, roleARN, since)
}

func (l *lazyWrites) RecordWrite(ctx context.Context, w guard.Write) error {
	return l.get().RecordWrite(ctx, w)
}
