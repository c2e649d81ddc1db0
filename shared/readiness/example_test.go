package readiness_test

import (
	"fmt"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/readiness"
	"github.com/source-identity-guard/source-identity-guard/shared/trailrecord"
)

// A role assumed once with a source identity and once by a cross-account caller without one
// is not ready; the action tells the caller what to do.
func Example() {
	records := []string{
		`{"eventTime":"2026-11-30T09:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole",
		  "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"},
		  "userAgent":"aws-cli/2.15.0","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/ci/deployer","sourceIdentity":"alice"},
		  "recipientAccountId":"111122223333"}`,
		`{"eventTime":"2026-11-30T10:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole",
		  "userIdentity":{"type":"AWSAccount","principalId":"AIDAEXAMPLEBUILDBOT1","accountId":"444455556666"},
		  "userAgent":"aws-cli/2.15.0","requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/ci/deployer"},
		  "recipientAccountId":"111122223333"}`,
		`{"eventTime":"2026-11-30T11:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole",
		  "userIdentity":{"type":"AWSService","invokedBy":"lambda.amazonaws.com"},
		  "requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/fn-exec"},"recipientAccountId":"111122223333"}`,
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	agg := readiness.NewAggregator(readiness.NewWindow(now, readiness.DefaultDays))
	var dec trailrecord.Decoder
	for _, raw := range records {
		rec, err := dec.Decode([]byte(raw))
		if err != nil {
			panic(err)
		}
		agg.AddRecord(rec)
	}
	for _, ev := range agg.Results() {
		fmt.Println(ev.Role.ARN, "ready:", ev.Ready, "-", readiness.Reason(ev))
		for _, c := range ev.Callers {
			if c.Blocks() {
				fmt.Println("  ", c.Principal, "->", readiness.Action(c))
			}
		}
	}
	fmt.Println("dropped AWS service calls:", agg.Stats().Skipped[readiness.SkipService])
	// Output:
	// arn:aws:iam::111122223333:role/ci/deployer ready: false - 1 of 2 assumptions without a source identity (1 caller)
	//    arn:aws:iam::444455556666:root -> a principal in account 444455556666 (unique id AIDAEXAMPLEBUILDBOT1): AWS CLI and boto3 profiles cannot set a source identity: use credential_process = sidguard credentials --role-arn ROLE, or call aws sts assume-role --source-identity NAME
	// dropped AWS service calls: 1
}
