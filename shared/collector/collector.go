// Package collector is the live path of the readiness evidence: it turns each CloudTrail
// record that EventBridge delivers (STS AssumeRole*, console SwitchRole) into the observation
// shared/readiness derives for the offline path, and stores it. It imports no AWS SDK; the
// store is shared/ledger in the Lambda.
package collector

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/source-identity-guard/source-identity-guard/shared/readiness"
	"github.com/source-identity-guard/source-identity-guard/shared/trailrecord"
)

// Store keeps observations (*ledger.Ledger).
type Store interface {
	Put(ctx context.Context, o readiness.Observation) error
}

// Collector handles one event at a time.
type Collector struct {
	Store  Store
	Logger *slog.Logger
}

// Result is what one event came to (the Lambda's response, and its log line).
type Result struct {
	EventID string         `json:"eventId,omitempty"`
	Stored  bool           `json:"stored"`
	Skip    readiness.Skip `json:"skip,omitempty"` // why nothing was stored
	Role    string         `json:"role,omitempty"`
	Caller  string         `json:"caller,omitempty"`
}

// Handle observes the event's CloudTrail record and stores the observation. A record that
// gives none (an AWS service's call, a failed call, a caller-side copy...) is logged with the
// reason and not stored. An error is returned only when storing failed (EventBridge and
// Lambda retry the event; the ledger's item key makes the retry harmless), or when the event
// is not a CloudTrail record at all.
func (c *Collector) Handle(ctx context.Context, ev events.CloudWatchEvent) (Result, error) {
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	if len(ev.Detail) == 0 || ev.Detail[0] != '{' {
		return Result{}, fmt.Errorf("event %s (%s): detail is not a CloudTrail record", ev.ID, ev.DetailType)
	}
	var dec trailrecord.Decoder
	rec, err := dec.Decode(ev.Detail)
	if err != nil {
		return Result{}, fmt.Errorf("event %s: %w", ev.ID, err)
	}
	o, skip := readiness.Observe(rec)
	res := Result{EventID: rec.EventID, Skip: skip}
	if skip != readiness.SkipNone {
		log.Info("not evidence", "eventId", rec.EventID, "eventName", rec.EventName, "skip", string(skip))
		return res, nil
	}
	if o.EventID == "" {
		o.EventID = ev.ID // the record should carry one; the envelope's id is stable across retries
	}
	res.EventID, res.Role, res.Caller = o.EventID, o.Role.ARN, o.Caller.Principal
	if err := c.Store.Put(ctx, o); err != nil {
		log.Error("store evidence", "eventId", o.EventID, "role", o.Role.ARN, "err", err)
		return res, err
	}
	res.Stored = true
	log.Info("evidence", "eventId", o.EventID, "kind", string(o.Kind), "role", o.Role.ARN, "caller", o.Caller.Principal,
		"sourceIdentity", o.HasSourceIdentity(), "console", o.Console)
	return res, nil
}
