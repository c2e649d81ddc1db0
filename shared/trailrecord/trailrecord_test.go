package trailrecord

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecode(t *testing.T) {
	raw := `{"eventVersion":"1.09","eventID":"e1","eventTime":"2026-11-30T09:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole",
	"eventType":"AwsApiCall","awsRegion":"eu-west-1","sourceIPAddress":"192.0.2.1","userAgent":"aws-cli/2","recipientAccountId":"111122223333",
	"userIdentity":{"type":"AssumedRole","principalId":"AROA1:s","arn":"arn:aws:sts::111122223333:assumed-role/r/s","accountId":"111122223333",
	  "sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/p/r"},"sourceIdentity":"al\u0069ce"}},
	"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/x","roleSessionName":"s2","sourceIdentity":"alice","durationSeconds":3600},
	"responseElements":{"sourceIdentity":"alice","assumedRoleUser":{"arn":"arn:aws:sts::111122223333:assumed-role/x/s2"}},
	"resources":[{"ARN":"arn:aws:iam::111122223333:role/x","type":"AWS::IAM::Role"},{"ARN":"arn:aws:iam::111122223333:saml-provider/p","type":"AWS::IAM::SAMLProvider"}]}`
	var d Decoder
	got, err := d.Decode([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := Record{EventID: "e1", EventTime: "2026-11-30T09:00:00Z", EventSource: "sts.amazonaws.com", EventName: "AssumeRole", EventType: "AwsApiCall",
		AWSRegion: "eu-west-1", SourceIPAddress: "192.0.2.1", UserAgent: "aws-cli/2", RecipientAccountID: "111122223333",
		Identity: Identity{Type: "AssumedRole", PrincipalID: "AROA1:s", ARN: "arn:aws:sts::111122223333:assumed-role/r/s", AccountID: "111122223333",
			HasSessionContext: true, SessionIssuerARN: "arn:aws:iam::111122223333:role/p/r", SessionIssuerType: "Role", SessionSourceIdentity: "alice"},
		RoleARN: "arn:aws:iam::111122223333:role/x", RoleSessionName: "s2", SourceIdentity: "alice",
		ResponseSourceIdentity: "alice", AssumedRoleARN: "arn:aws:sts::111122223333:assumed-role/x/s2",
		RoleResources: []string{"arn:aws:iam::111122223333:role/x"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("record (-want +got):\n%s", diff)
	}
	// A record outlives the parser's buffer.
	if _, err := d.Decode([]byte(`{"eventID":"other"}`)); err != nil {
		t.Fatal(err)
	}
	if got.EventID != "e1" || got.Identity.SessionSourceIdentity != "alice" {
		t.Fatalf("record changed after the next Decode: %+v", got)
	}
}

func TestDecodeLenientInsideParameters(t *testing.T) {
	var d Decoder
	r, err := d.Decode([]byte(`{"eventName":"X","requestParameters":{"roleArn":{"not":"a string"},"sourceIdentity":7},"responseElements":"text","resources":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.RoleARN != "" || r.SourceIdentity != "" {
		t.Fatalf("wrong-typed parameters read as %+v", r)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, raw := range []string{`{"eventName":`, `[]`, `{"eventName":3}`, `{"userIdentity":"root"}`, `{"userIdentity":{"type":1}}`, `{"a":1}x`} {
		var d Decoder
		if _, err := d.Decode([]byte(raw)); !errors.Is(err, ErrMalformed) {
			t.Errorf("Decode(%s): %v, want ErrMalformed", raw, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","userIdentity":{"type":"IAMUser","sessionContext":{"sourceIdentity":"a"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d Decoder
		r, err := d.Decode(data)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error %v does not wrap ErrMalformed", err)
		}
		_ = r
	})
}
