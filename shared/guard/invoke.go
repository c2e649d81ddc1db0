package guard

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
)

// Invoke handles what Lambda delivers to the enforce function:
//
//   - an SQS batch from the queue between the EventBridge rule and the function (the event
//     source mapping reports partial batch failures): every record whose event a retry can help
//     (Handle returned an error), or whose body is not an event at all, is returned in
//     BatchItemFailures, goes back to the queue and, after the queue's maxReceiveCount, to its
//     dead-letter queue (alarmed). The other records are done.
//   - a bare EventBridge event (sam local invoke -e events/…, a direct invocation, a redrive from
//     the dead-letter queue by hand): the Outcome, and the error when a retry can help.
//
// See https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html.
func (g *Guard) Invoke(ctx context.Context, payload json.RawMessage) (any, error) {
	var probe struct {
		Records []struct {
			EventSource string `json:"eventSource"`
		} `json:"Records"`
	}
	if json.Unmarshal(payload, &probe) == nil && len(probe.Records) > 0 && probe.Records[0].EventSource == "aws:sqs" {
		var batch events.SQSEvent
		if err := json.Unmarshal(payload, &batch); err != nil {
			return nil, fmt.Errorf("decode SQS batch: %w", err)
		}
		resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
		for _, rec := range batch.Records {
			var ev events.CloudWatchEvent
			if err := json.Unmarshal([]byte(rec.Body), &ev); err != nil {
				g.cfg.Logger.ErrorContext(ctx, "queue message is not an EventBridge event", "messageId", rec.MessageId, "err", err)
				g.count(ctx, MetricErrors, "operation", "decode")
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
				continue
			}
			if _, err := g.Handle(ctx, ev); err != nil {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
			}
		}
		return resp, nil
	}
	var ev events.CloudWatchEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	return g.Handle(ctx, ev)
}
