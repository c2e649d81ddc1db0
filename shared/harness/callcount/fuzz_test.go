package callcount_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/callcount"
)

// Call never fails or panics on what it reads, names the call "service.operation", and leaves
// the body for the emulator exactly as it was.
func FuzzCall(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=test/20261128/us-east-1/iam/aws4_request", "", "application/x-www-form-urlencoded", "Action=GetRole&RoleName=x")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/events/aws4_request", "AWSEvents.PutEvents", "application/x-amz-json-1.1", `{}`)
	f.Add("", "", "application/x-www-form-urlencoded", "%zz")
	f.Add("Credential=/////aws4_request", "NoDot", "", "")
	f.Fuzz(func(t *testing.T, auth, target, contentType, body string) {
		r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1/", strings.NewReader(body))
		if err != nil {
			t.Skip()
		}
		r.Header.Set("Authorization", auth)
		r.Header.Set("X-Amz-Target", target)
		r.Header.Set("Content-Type", contentType)
		got := callcount.Call(r)
		if !strings.Contains(got, ".") {
			t.Errorf("Call() = %q; want service.operation", got)
		}
		rest, err := io.ReadAll(r.Body)
		if err != nil || !bytes.Equal(rest, []byte(body)) {
			t.Errorf("body after Call() = %q, %v; want %q", rest, err, body)
		}
	})
}
