package guard

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
)

// Invoke on an SQS batch: a record whose role cannot be read now (throttling) and a record
// that is not an event come back as batch item failures; the others are done.
func TestInvokeSQSBatch(t *testing.T) {
	h := newHarness(t, Policy{Mode: ModeRequire}, nil, role("app", "/", awsPolicy, map[string]string{}))
	body := func(role string) string {
		b, err := json.Marshal(ctEvent(t, "CreateRole", role, "", nil))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	batch, err := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "1", EventSource: "aws:sqs", Body: body("app")},
		{MessageId: "2", EventSource: "aws:sqs", Body: "{"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := h.guard.Invoke(t.Context(), batch)
	if err != nil {
		t.Fatal(err)
	}
	want := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: "2"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
	if len(h.roles.updates) != 1 {
		t.Errorf("updates %v; want the first record's role patched", h.roles.updates)
	}

	h.roles.getErr = fmt.Errorf("get role: %w", iamrole.ErrThrottled)
	got, err = h.guard.Invoke(t.Context(), batch)
	if err != nil {
		t.Fatal(err)
	}
	want = events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{{ItemIdentifier: "1"}, {ItemIdentifier: "2"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("throttled: response (-want +got):\n%s", diff)
	}
}

// Invoke on a bare EventBridge event (sam local invoke -e events/…) returns the Outcome.
func TestInvokeBareEvent(t *testing.T) {
	h := newHarness(t, Policy{Mode: ModeRequire}, nil, role("app", "/", awsPolicy, map[string]string{}))
	ev, err := json.Marshal(ctEvent(t, "CreateRole", "app", "", nil))
	if err != nil {
		t.Fatal(err)
	}
	got, err := h.guard.Invoke(t.Context(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if out, ok := got.(Outcome); !ok || out.Decision != Patched {
		t.Errorf("Invoke = %#v; want a patched Outcome", got)
	}
	h.roles.getErr = fmt.Errorf("get role: %w", iamrole.ErrThrottled)
	if _, err := h.guard.Invoke(t.Context(), ev); err == nil {
		t.Error("throttled bare event: no error; want one, so that Lambda retries")
	}
}
