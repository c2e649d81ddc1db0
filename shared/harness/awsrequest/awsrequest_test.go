package awsrequest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestServiceAndOperation(t *testing.T) {
	t.Parallel()
	const auth = "AWS4-HMAC-SHA256 Credential=AKID/20240801/us-east-1/%s/aws4_request, SignedHeaders=host, Signature=x"
	tests := []struct {
		name               string
		req                func() *http.Request
		service, operation string
		bodyAfter          string
	}{
		{"query body", func() *http.Request {
			r := httptest.NewRequest("POST", "/", strings.NewReader("Action=GetRole&RoleName=a&Version=2010-05-08"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			r.Header.Set("Authorization", strings.Replace(auth, "%s", "iam", 1))
			return r
		}, "iam", "GetRole", "Action=GetRole&RoleName=a&Version=2010-05-08"},
		{"json target", func() *http.Request {
			r := httptest.NewRequest("POST", "/", strings.NewReader(`{"Entries":[]}`))
			r.Header.Set("X-Amz-Target", "AWSEvents.PutEvents")
			r.Header.Set("Authorization", strings.Replace(auth, "%s", "events", 1))
			return r
		}, "events", "PutEvents", `{"Entries":[]}`},
		{"query in URL", func() *http.Request {
			return httptest.NewRequest("GET", "/?Action=ListRoles", nil)
		}, "", "ListRoles", ""},
		{"unsigned REST", func() *http.Request {
			return httptest.NewRequest("GET", "/bucket/key", nil)
		}, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.req()
			if got := Service(r); got != tt.service {
				t.Errorf("Service = %q, want %q", got, tt.service)
			}
			if got := Operation(r); got != tt.operation {
				t.Errorf("Operation = %q, want %q", got, tt.operation)
			}
			var rest []byte
			if r.Body != nil && r.Body != http.NoBody {
				rest, _ = io.ReadAll(r.Body)
			}
			if string(rest) != tt.bodyAfter {
				t.Errorf("body after Operation = %q, want %q", rest, tt.bodyAfter)
			}
		})
	}
}
