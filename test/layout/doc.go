// Package layout checks the repository's dependency rules with `go list -deps`: the Lambda
// binaries never link the test harness (shared/harness/...), and the pure packages (the
// trust-policy engine, the CloudTrail decoder, the rollout verdicts) never link an AWS SDK
// package (the engine, decoders, verdicts, renderers listed in TestPurePackagesDoNotLinkAWSSDK).
// See docs/architecture.md.
package layout
