package main

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
)

// scanFailure is why a scan could not run to the end, in words a user can act on.
type scanFailure struct {
	what string // what failed, e.g. "could not list the account's roles"
	why  string // the cause and what to do about it
	err  error  // the underlying error, for the details
}

func (f scanFailure) String() string {
	return "scan failed: " + f.what + ": " + f.why
}

// explainScanError classifies an error from loading the AWS configuration or listing roles.
// The SDK's errors carry the cause deep in their chain; the common ones get a sentence that
// says what to do.
func explainScanError(what string, err error) scanFailure {
	f := scanFailure{what: what, err: err}
	var (
		regionErr *aws.MissingRegionError
		opErr     *net.OpError
		dnsErr    *net.DNSError
		apiErr    smithy.APIError
	)
	msg := err.Error()
	switch {
	case errors.Is(err, context.Canceled):
		f.why = "interrupted"
	case errors.As(err, &regionErr):
		f.why = "no AWS region is configured; set AWS_REGION (IAM is global: any commercial region works, e.g. us-east-1)"
	case strings.Contains(msg, "get credentials") || strings.Contains(msg, "failed to retrieve credentials") ||
		strings.Contains(msg, "failed to refresh cached credentials") || strings.Contains(msg, "no EC2 IMDS role found"):
		f.why = "no AWS credentials were found; set AWS_PROFILE or --profile (and run \"aws sso login\" for an SSO profile), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
	case errors.As(err, &dnsErr):
		f.why = "the IAM endpoint's host name does not resolve (" + dnsErr.Name + "); check the network, a proxy, or AWS_ENDPOINT_URL"
	case errors.As(err, &opErr), errors.Is(err, os.ErrDeadlineExceeded), strings.Contains(msg, "request send failed"):
		f.why = "the IAM endpoint cannot be reached" + endpointHint() + "; check the network, a proxy, or AWS_ENDPOINT_URL"
	case errors.As(err, &apiErr):
		switch code := apiErr.ErrorCode(); code {
		case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation":
			f.why = "the credentials may not call iam:ListRoles (" + code + "); scan needs iam:ListRoles and iam:GetRole, and iam:UpdateAssumeRolePolicy with --fix"
		case "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException", "UnrecognizedClientException":
			f.why = "AWS refused the credentials (" + code + "); refresh them (e.g. \"aws sso login\") or use another profile"
		default:
			f.why = "AWS answered " + code + ": " + apiErr.ErrorMessage()
		}
	default:
		f.why = "the AWS call failed"
	}
	return f
}

// endpointHint names the endpoint override when there is one (the usual cause in tests and
// behind proxies).
func endpointHint() string {
	for _, k := range []string{"AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL"} {
		if v := os.Getenv(k); v != "" {
			return " (" + k + "=" + v + ")"
		}
	}
	return ""
}
