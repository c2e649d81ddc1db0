package cloudtrail_test

import (
	"errors"
	"fmt"

	"github.com/source-identity-guard/source-identity-guard/shared/cloudtrail"
)

func ExampleParseJSON() {
	event := []byte(`{
	  "version": "0", "id": "0d5f1a0e-7c1e-4f55-9c3a-2f6b8d1e0a02",
	  "detail-type": "AWS API Call via CloudTrail", "source": "aws.iam",
	  "account": "111122223333", "time": "2024-08-01T13:29:57Z", "region": "us-east-1",
	  "detail": {
	    "eventSource": "iam.amazonaws.com", "eventName": "UpdateAssumeRolePolicy",
	    "eventID": "5e6f7a8b-0000-4000-8000-000000000002", "recipientAccountId": "111122223333",
	    "userIdentity": {
	      "type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/PlatformAdmin/bob",
	      "sessionContext": {
	        "sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/PlatformAdmin"},
	        "sourceIdentity": "bob@example.com"
	      }
	    },
	    "requestParameters": {"roleName": "build-role", "policyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[]}"},
	    "responseElements": null
	  }
	}`)
	call, err := cloudtrail.ParseJSON(event)
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	fmt.Println(call.EventName, call.RoleName, call.Account, call.Failed())
	fmt.Println(call.Actor)
	fmt.Printf("%s\n", call.Policy)
	// Output:
	// UpdateAssumeRolePolicy build-role 111122223333 false
	// AssumedRole arn:aws:sts::111122223333:assumed-role/PlatformAdmin/bob (role arn:aws:iam::111122223333:role/PlatformAdmin, source identity "bob@example.com")
	// {"Version":"2012-10-17","Statement":[]}
}

func ExampleParseJSON_unsupported() {
	event := []byte(`{"source": "aws.iam", "detail-type": "AWS API Call via CloudTrail",
	  "detail": {"eventSource": "iam.amazonaws.com", "eventName": "DeleteRole", "requestParameters": {"roleName": "old"}}}`)
	_, err := cloudtrail.ParseJSON(event)
	fmt.Println(errors.Is(err, cloudtrail.ErrUnsupportedEvent))
	fmt.Println(err)
	// Output:
	// true
	// event: detail.eventName "DeleteRole": unsupported IAM event
}
