// Package trustpolicy is the pure engine of source-identity-guard: it parses IAM role trust
// policies losslessly, checks whether they force callers to set an STS source identity, patches
// them so they do, and models how IAM evaluates them. It imports no AWS SDK.
package trustpolicy
