package sessiontrail

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/source-identity-guard/source-identity-guard/shared/trailrecord"
)

func TestMatch(t *testing.T) {
	type want struct {
		via Via
		ok  bool
	}
	tests := []struct {
		name string
		raw  string
		want want
	}{
		{"call by a session with it", `{"eventSource":"s3.amazonaws.com","eventName":"ListBuckets","userIdentity":{"type":"AssumedRole","sessionContext":{"sourceIdentity":"alice"}}}`, want{ViaSession, true}},
		{"call by another person's session", `{"eventSource":"s3.amazonaws.com","eventName":"ListBuckets","userIdentity":{"type":"AssumedRole","sessionContext":{"sourceIdentity":"bob"}}}`, want{}},
		{"case differs", `{"eventSource":"s3.amazonaws.com","eventName":"ListBuckets","userIdentity":{"type":"AssumedRole","sessionContext":{"sourceIdentity":"Alice"}}}`, want{}},
		{"first hop sets it", `{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","userIdentity":{"type":"IAMUser"},"requestParameters":{"sourceIdentity":"alice"}}`, want{ViaRequest, true}},
		{"owner copy of a cross-account chained call", `{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","userIdentity":{"type":"AWSAccount"},"responseElements":{"sourceIdentity":"alice"}}`, want{ViaResponse, true}},
		{"SAML sets it", `{"eventSource":"sts.amazonaws.com","eventName":"AssumeRoleWithSAML","userIdentity":{"type":"SAMLUser"},"requestParameters":{"sourceIdentity":"alice"}}`, want{ViaRequest, true}},
		{"a parameter named sourceIdentity elsewhere does not count", `{"eventSource":"example.amazonaws.com","eventName":"Do","userIdentity":{"type":"IAMUser"},"requestParameters":{"sourceIdentity":"alice"}}`, want{}},
		{"no identity", `{"eventSource":"s3.amazonaws.com","eventName":"GetObject","userIdentity":{"type":"IAMUser"}}`, want{}},
	}
	for _, tt := range tests {
		var d trailrecord.Decoder
		r, err := d.Decode([]byte(tt.raw))
		if err != nil {
			t.Fatal(err)
		}
		via, ok := Match(r, "alice")
		if diff := cmp.Diff(tt.want, want{via, ok}, cmp.AllowUnexported(want{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestValidate(t *testing.T) {
	for v, ok := range map[string]bool{"alice": true, "alice@example.com": true, "a": false, "two words": false, "": false, "x=y,z.w-_+": true} {
		if err := Validate(v); (err == nil) != ok {
			t.Errorf("Validate(%q) = %v", v, err)
		}
	}
}
