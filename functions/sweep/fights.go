package main

import (
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/ledger"
)

// sweepFights returns the IaC fight rule (IAC_FIGHT_THRESHOLD) on the write log in
// IAC_FIGHT_TABLE (shared with the Enforce function, so that both paths count one role's writes
// together), or nil when either is off.
func sweepFights(lookup func(string) (string, bool), cfg aws.Config, logger *slog.Logger) (*guard.Fights, error) {
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
	return &guard.Fights{Rule: s.Rule, Log: ledger.NewWrites(dynamodb.NewFromConfig(cfg), s.Table, 0)}, nil
}
