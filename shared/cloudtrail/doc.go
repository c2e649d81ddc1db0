// Package cloudtrail decodes the EventBridge events that carry CloudTrail records of the IAM
// calls the guard reacts to (CreateRole, UpdateAssumeRolePolicy, and TagRole/UntagRole on
// roles) into a typed [Call].
//
// It is pure: it imports no AWS SDK, only the envelope type of aws-lambda-go/events. It never
// trusts the policy document in an event for decisions (the guard re-reads the role); the
// document is exposed for logs and tests.
//
// Errors wrap one of three sentinels, so callers can tell "not for us" from "broken":
//
//   - [ErrNotCloudTrail]: the event is not an IAM API call delivered from CloudTrail (wrong
//     source, detail-type or detail.eventSource).
//   - [ErrUnsupportedEvent]: an IAM API call other than those four.
//   - [ErrMalformed]: the event claims to be one of ours but cannot be decoded (detail not an
//     object, no role name, a policy document of the wrong JSON type, invalid JSON).
package cloudtrail
