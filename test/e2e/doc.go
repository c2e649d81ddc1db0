// Package e2e runs the Enforce function end to end: the real bootstrap, built the way the
// template deploys it (CGO_ENABLED=0, -tags lambda.norpc, host architecture), under the AWS
// Lambda Runtime Interface Emulator, invoked over HTTP with CloudTrail-shaped events
// (events/*.json), against moto_server. A counting proxy between the function and moto checks
// the API calls each event costs; an EventBridge rule with an SQS target catches the decision
// events the function publishes.
package e2e
