// Package eventbus is the project's only EventBridge I/O: it publishes events (PutEvents) in
// batches, counting the entries EventBridge did not accept instead of losing them silently.
package eventbus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
)

// API is the subset of *eventbridge.Client the package calls.
type API interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// MaxEntries is the most entries one PutEvents call accepts.
const MaxEntries = 10

// DefaultMaxSize is the default size budget, in bytes, of one PutEvents request and so of one
// entry, as EventBridge computes it: Source + DetailType + Detail + each Resource, UTF-8 bytes.
// It is the long-standing 256 KB limit. Third-party reports say AWS raised EventBridge's limit to
// 1 MB in January 2026 (not checked against AWS here, nor for the China and GovCloud
// partitions); the budget is not a setting until that is confirmed (tests shrink it with withMaxSize).
const DefaultMaxSize = 256 * 1024

// ErrTooLarge is wrapped by the error Publish returns for an entry bigger than the size budget;
// such an entry is counted as failed and not sent.
var ErrTooLarge = errors.New("event entry too large")

// ErrRejected is wrapped by the error Publish returns for entries EventBridge did not accept
// (FailedEntryCount); the error text carries EventBridge's error code and message.
var ErrRejected = errors.New("event entry rejected")

// Entry is one event to publish.
type Entry struct {
	Source     string
	DetailType string
	// Detail is marshalled to JSON without HTML escaping; nil becomes {}. A json.RawMessage is
	// sent as is (compacted).
	Detail    any
	Resources []string
}

// Publisher sends events to one event bus.
type Publisher struct {
	api     API
	bus     string
	maxSize int
}

// Option configures a Publisher.
type Option func(*Publisher)

// withMaxSize sets the size budget of one PutEvents request, in bytes (DefaultMaxSize when not
// set or not positive).
func withMaxSize(n int) Option {
	return func(p *Publisher) {
		if n > 0 {
			p.maxSize = n
		}
	}
}

// New returns a Publisher for the bus named busName (a name or an ARN; "" is the account's
// default bus). It does no I/O.
func New(api API, busName string, opts ...Option) *Publisher {
	p := &Publisher{api: api, bus: busName, maxSize: DefaultMaxSize}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Publish sends entries in PutEvents calls of at most MaxEntries entries and at most the size
// budget each. It returns how many entries were not published: entries that do not marshal or
// exceed the size budget (not sent), entries EventBridge rejected (FailedEntryCount), and the
// entries of calls that failed. err joins the reasons and is nil exactly when failed is 0.
// Calls go on after a failure, so one bad entry or call does not lose the others; Publish does
// not retry beyond the SDK's own retryer.
func (p *Publisher) Publish(ctx context.Context, entries []Entry) (failed int, err error) {
	var errs []error
	var batch []types.PutEventsRequestEntry
	var batchIdx []int // index in entries of each batch member, for error messages
	batchSize := 0
	flush := func() {
		if len(batch) == 0 {
			return
		}
		n, err := p.put(ctx, batch, batchIdx, entries)
		failed += n
		if err != nil {
			errs = append(errs, err)
		}
		batch, batchIdx, batchSize = nil, nil, 0
	}
	for i, e := range entries {
		re, size, err := p.requestEntry(e)
		if err != nil {
			failed++
			errs = append(errs, fmt.Errorf("publish entry %d (%s): %w", i, describe(e), err))
			continue
		}
		if len(batch) == MaxEntries || batchSize+size > p.maxSize {
			flush()
		}
		batch = append(batch, re)
		batchIdx = append(batchIdx, i)
		batchSize += size
	}
	flush()
	return failed, errors.Join(errs...)
}

// put sends one batch and returns how many of its entries were not accepted.
func (p *Publisher) put(ctx context.Context, batch []types.PutEventsRequestEntry, idx []int, entries []Entry) (int, error) {
	out, err := p.api.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: batch})
	if err != nil {
		return len(batch), fmt.Errorf("put %d events on bus %q: %w", len(batch), p.busName(), err)
	}
	if out.FailedEntryCount == 0 {
		return 0, nil
	}
	var errs []error
	for j, r := range out.Entries {
		if aws.ToString(r.ErrorCode) == "" || j >= len(idx) {
			continue
		}
		errs = append(errs, fmt.Errorf("publish entry %d (%s) on bus %q: %w: %s: %s",
			idx[j], describe(entries[idx[j]]), p.busName(), ErrRejected, aws.ToString(r.ErrorCode), aws.ToString(r.ErrorMessage)))
	}
	n := int(out.FailedEntryCount)
	if n > len(batch) {
		n = len(batch)
	}
	if len(errs) < n { // the result entries did not say which ones
		errs = append(errs, fmt.Errorf("put %d events on bus %q: %w: %d entries failed, %d identified",
			len(batch), p.busName(), ErrRejected, n, len(errs)))
	}
	return n, errors.Join(errs...)
}

func (p *Publisher) requestEntry(e Entry) (types.PutEventsRequestEntry, int, error) {
	detail, err := marshalDetail(e.Detail)
	if err != nil {
		return types.PutEventsRequestEntry{}, 0, err
	}
	size := EntrySize(e.Source, e.DetailType, detail, e.Resources)
	if size > p.maxSize {
		return types.PutEventsRequestEntry{}, 0, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, size, p.maxSize)
	}
	re := types.PutEventsRequestEntry{
		Source:     aws.String(e.Source),
		DetailType: aws.String(e.DetailType),
		Detail:     aws.String(detail),
		Resources:  e.Resources,
	}
	if p.bus != "" {
		re.EventBusName = aws.String(p.bus)
	}
	return re, size, nil
}

func (p *Publisher) busName() string {
	if p.bus == "" {
		return "default"
	}
	return p.bus
}

// EntrySize is the size EventBridge charges an entry against its limit: the UTF-8 bytes of
// Source, DetailType, Detail and each Resource (no Time is sent).
func EntrySize(source, detailType, detail string, resources []string) int {
	n := len(source) + len(detailType) + len(detail)
	for _, r := range resources {
		n += len(r)
	}
	return n
}

func marshalDetail(v any) (string, error) {
	if v == nil {
		return "{}", nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("marshal detail: %w", err)
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

func describe(e Entry) string {
	return fmt.Sprintf("source %q, detail-type %q", e.Source, e.DetailType)
}
