// Package stssession is the only STS I/O of `sidguard credentials`: GetCallerIdentity and
// AssumeRole through aws-sdk-go-v2/service/sts, with STS's errors sorted into the sentinels of
// shared/credprocess (which declares the interface this package satisfies) so that the helper
// can say what to do.
package stssession

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/source-identity-guard/source-identity-guard/shared/credprocess"
)

// API is the subset of *sts.Client the package calls.
type API interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

// Client implements credprocess.STS.
type Client struct {
	api API
	now func() time.Time
}

var _ credprocess.STS = (*Client)(nil)

// New wraps an STS client.
func New(api API) *Client { return &Client{api: api, now: time.Now} }

// BaseAccessKeyID retrieves the base credentials of cfg and returns their access key id (never
// the secret). A failure wraps credprocess.ErrNoBaseCredentials.
func BaseAccessKeyID(ctx context.Context, cfg aws.Config) (string, error) {
	if cfg.Credentials == nil {
		return "", fmt.Errorf("retrieve base credentials: %w: none configured", credprocess.ErrNoBaseCredentials)
	}
	c, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return "", fmt.Errorf("retrieve base credentials: %w: %v", credprocess.ErrNoBaseCredentials, err)
	}
	if c.AccessKeyID == "" {
		return "", fmt.Errorf("retrieve base credentials: %w: empty access key id", credprocess.ErrNoBaseCredentials)
	}
	return c.AccessKeyID, nil
}

// CallerIdentity returns the ARN GetCallerIdentity names.
func (c *Client) CallerIdentity(ctx context.Context) (string, error) {
	out, err := c.api.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", classify("GetCallerIdentity", "", err)
	}
	if out.Arn == nil || *out.Arn == "" {
		return "", errors.New("GetCallerIdentity: no ARN in the answer")
	}
	return *out.Arn, nil
}

// AssumeRole calls AssumeRole with the source identity, session name, external id and duration
// of in.
func (c *Client) AssumeRole(ctx context.Context, in credprocess.AssumeInput) (credprocess.Credentials, error) {
	req := &sts.AssumeRoleInput{RoleArn: aws.String(in.RoleARN), RoleSessionName: aws.String(in.SessionName)}
	if in.SourceIdentity != "" {
		req.SourceIdentity = aws.String(in.SourceIdentity)
	}
	if in.ExternalID != "" {
		req.ExternalId = aws.String(in.ExternalID)
	}
	if in.Duration > 0 {
		req.DurationSeconds = aws.Int32(int32(in.Duration / time.Second))
	}
	issued := c.now()
	out, err := c.api.AssumeRole(ctx, req)
	if err != nil {
		return credprocess.Credentials{}, classify("AssumeRole", in.RoleARN, err)
	}
	cr := out.Credentials
	if cr == nil || cr.AccessKeyId == nil || cr.SecretAccessKey == nil || cr.SessionToken == nil || cr.Expiration == nil {
		return credprocess.Credentials{}, fmt.Errorf("AssumeRole %s: the answer holds no complete credentials", in.RoleARN)
	}
	return credprocess.Credentials{
		AccessKeyID: *cr.AccessKeyId, SecretAccessKey: *cr.SecretAccessKey, SessionToken: *cr.SessionToken,
		Expiration: *cr.Expiration, SourceIdentity: aws.ToString(out.SourceIdentity), Issued: issued,
	}, nil
}

// classify wraps err with the credprocess sentinel its STS error code and message call for.
// STS documents AccessDenied when sts:SetSourceIdentity is not allowed
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html);
// the message then names that action.
func classify(op, role string, err error) error {
	what := op
	if role != "" {
		what += " " + role
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		if strings.Contains(err.Error(), "failed to retrieve credentials") || strings.Contains(err.Error(), "failed to refresh cached credentials") {
			return fmt.Errorf("%s: %w: %v", what, credprocess.ErrNoBaseCredentials, err)
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	msg := api.ErrorCode() + ": " + api.ErrorMessage()
	lower := strings.ToLower(api.ErrorMessage())
	switch api.ErrorCode() {
	case "InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException", "UnrecognizedClientException", "InvalidAccessKeyId":
		return fmt.Errorf("%s: %w: %s", what, credprocess.ErrNoBaseCredentials, msg)
	}
	if strings.Contains(lower, "setsourceidentity") || strings.Contains(lower, "sourceidentity") || strings.Contains(lower, "source identity") {
		return fmt.Errorf("%s: %w: %s", what, credprocess.ErrSourceIdentityRefused, msg)
	}
	if op == "AssumeRole" {
		return fmt.Errorf("%s: %w: %s", what, credprocess.ErrRoleNotAssumable, msg)
	}
	return fmt.Errorf("%s: %s", what, msg)
}
