package collector

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/readiness"
)

type memStore struct {
	got []readiness.Observation
	err error
}

func (m *memStore) Put(_ context.Context, o readiness.Observation) error {
	if m.err != nil {
		return m.err
	}
	m.got = append(m.got, o)
	return nil
}

func event(detail string) events.CloudWatchEvent {
	return events.CloudWatchEvent{ID: "env-1", Source: "aws.sts", DetailType: "AWS API Call via CloudTrail", Detail: json.RawMessage(detail)}
}

func TestHandle(t *testing.T) {
	st := &memStore{}
	c := &Collector{Store: st}
	res, err := c.Handle(context.Background(), event(`{"eventID":"e1","eventTime":"2026-11-30T09:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole",
		"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice"},"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/r","sourceIdentity":"alice"},
		"recipientAccountId":"111122223333"}`))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Result{EventID: "e1", Stored: true, Role: "arn:aws:iam::111122223333:role/r", Caller: "arn:aws:iam::111122223333:user/alice"}, res); diff != "" {
		t.Fatal(diff)
	}
	if len(st.got) != 1 || st.got[0].SourceIdentity != "alice" {
		t.Fatalf("stored %+v", st.got)
	}
	res, err = c.Handle(context.Background(), event(`{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","userIdentity":{"type":"AWSService"}}`))
	if err != nil || res.Stored || res.Skip != readiness.SkipService {
		t.Fatalf("service call: %+v, %v", res, err)
	}
	if _, err := c.Handle(context.Background(), event(`"text"`)); err == nil {
		t.Fatal("a detail that is not a record was accepted")
	}
	boom := errors.New("throttled")
	_, err = (&Collector{Store: &memStore{err: boom}}).Handle(context.Background(), event(`{"eventID":"e2","eventTime":"2026-11-30T09:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole",
		"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/a"},"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/r"}}`))
	if !errors.Is(err, boom) {
		t.Fatalf("store failure: %v", err)
	}
}
