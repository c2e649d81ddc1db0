package callcount_test

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/callcount"
)

func ExampleCall() {
	// An IAM call (query protocol): the operation is the form's Action.
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:5000/", strings.NewReader("Action=GetRole&RoleName=app&Version=2010-05-08"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20261128/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0")
	fmt.Println(callcount.Call(r))

	// An EventBridge call (JSON protocol): the operation is in X-Amz-Target.
	r, _ = http.NewRequest(http.MethodPost, "http://127.0.0.1:5000/", strings.NewReader(`{"Entries":[]}`))
	r.Header.Set("X-Amz-Target", "AWSEvents.PutEvents")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20261128/us-east-1/events/aws4_request, SignedHeaders=host, Signature=0")
	fmt.Println(callcount.Call(r))
	// Output:
	// iam.GetRole
	// events.PutEvents
}

func ExampleFormat() {
	fmt.Println(callcount.Format(map[string]int{"iam.UpdateAssumeRolePolicy": 1, "iam.GetRole": 1, "events.PutEvents": 1}))
	// Output: events.PutEvents=1 iam.GetRole=1 iam.UpdateAssumeRolePolicy=1
}
