// Package iamrole is the project's only IAM I/O: it reads roles (with their URL-decoded trust
// policies and tags), lists them page by page, and replaces trust policies. SDK errors are
// mapped to this package's sentinel errors (ErrNotFound, ErrMalformedPolicy, ...) so callers
// never inspect SDK types.
package iamrole

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// API is the subset of *iam.Client the package calls.
type API interface {
	GetRole(ctx context.Context, in *iam.GetRoleInput, optFns ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	UpdateAssumeRolePolicy(ctx context.Context, in *iam.UpdateAssumeRolePolicyInput, optFns ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error)
	ListRoles(ctx context.Context, in *iam.ListRolesInput, optFns ...func(*iam.Options)) (*iam.ListRolesOutput, error)
	ListRoleTags(ctx context.Context, in *iam.ListRoleTagsInput, optFns ...func(*iam.Options)) (*iam.ListRoleTagsOutput, error)
}

// Role is an IAM role as this project needs it.
type Role struct {
	Name, Path, ARN, ID string
	// TrustPolicy is the trust policy document as IAM holds it: the URL-decoded JSON text.
	TrustPolicy []byte
	// Tags are the role's tags; nil when not read (ListPage), empty but non-nil when the role
	// has none.
	Tags map[string]string
}

// PageSize is the MaxItems ListPage asks for (IAM's maximum).
const PageSize = 1000

// DefaultNotFoundDelays are the waits between GetRole attempts while IAM answers NoSuchEntity
// for a role that may have just been created (IAM is eventually consistent): 5 attempts over
// 2.6 s before Get reports ErrNotFound.
var DefaultNotFoundDelays = []time.Duration{
	200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1200 * time.Millisecond,
}

// Client reads and writes IAM roles through an API.
type Client struct {
	api            API
	notFoundDelays []time.Duration
	tagsPageSize   int32 // MaxItems for ListRoleTags; 0 leaves IAM's default (100)
}

// Option configures a Client.
type Option func(*Client)

// WithNotFoundDelays sets the waits between GetRole attempts while IAM answers NoSuchEntity.
// No delays means one attempt: a missing role is reported at once.
func WithNotFoundDelays(delays ...time.Duration) Option {
	return func(c *Client) { c.notFoundDelays = append([]time.Duration(nil), delays...) }
}

// New returns a Client. It does no I/O.
func New(api API, opts ...Option) *Client {
	c := &Client{api: api, notFoundDelays: DefaultNotFoundDelays}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Get reads a role with its trust policy and tags (GetRole). While IAM answers NoSuchEntity it
// retries after each of the not-found delays; a role still missing after that is ErrNotFound.
func (c *Client) Get(ctx context.Context, name string) (Role, error) {
	for attempt := 0; ; attempt++ {
		out, err := c.api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
		if err == nil {
			if out.Role == nil {
				return Role{}, fmt.Errorf("get role %q: empty response", name)
			}
			r, err := fromSDK(*out.Role, true)
			if err != nil {
				return Role{}, fmt.Errorf("get role %q: %w", name, err)
			}
			return r, nil
		}
		err = mapError(err)
		if !isNotFound(err) || attempt >= len(c.notFoundDelays) {
			return Role{}, fmt.Errorf("get role %q: %w", name, err)
		}
		t := time.NewTimer(c.notFoundDelays[attempt])
		select {
		case <-ctx.Done():
			t.Stop()
			return Role{}, fmt.Errorf("get role %q: waiting for the role to become visible: %w", name, ctx.Err())
		case <-t.C:
		}
	}
}

// UpdateTrustPolicy replaces a role's trust policy (UpdateAssumeRolePolicy). The document is sent
// as plain JSON text, compacted (whitespace outside strings removed, nothing escaped); text that
// is not valid JSON is sent unchanged for IAM to reject.
func (c *Client) UpdateTrustPolicy(ctx context.Context, name string, policy []byte) error {
	doc := policy
	var buf bytes.Buffer
	if err := json.Compact(&buf, policy); err == nil {
		doc = buf.Bytes()
	}
	_, err := c.api.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
		RoleName:       aws.String(name),
		PolicyDocument: aws.String(string(doc)),
	})
	if err != nil {
		return fmt.Errorf("update trust policy of role %q: %w", name, mapError(err))
	}
	return nil
}

// Tags reads all of a role's tags (ListRoleTags, every page). A role without tags gives an
// empty, non-nil map.
func (c *Client) Tags(ctx context.Context, name string) (map[string]string, error) {
	tags := map[string]string{}
	var marker *string
	for {
		in := &iam.ListRoleTagsInput{RoleName: aws.String(name), Marker: marker}
		if c.tagsPageSize > 0 {
			in.MaxItems = aws.Int32(c.tagsPageSize)
		}
		out, err := c.api.ListRoleTags(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list tags of role %q: %w", name, mapError(err))
		}
		for _, t := range out.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		if !out.IsTruncated || aws.ToString(out.Marker) == "" {
			return tags, nil
		}
		marker = out.Marker
	}
}

// ListPage reads one page of up to PageSize roles (ListRoles), starting at marker ("" for the
// first page). It returns the marker of the next page, "" after the last. Roles carry their
// trust policy and path but no tags (Tags nil): ListRoles does not return them.
func (c *Client) ListPage(ctx context.Context, marker string) ([]Role, string, error) {
	in := &iam.ListRolesInput{MaxItems: aws.Int32(PageSize)}
	if marker != "" {
		in.Marker = aws.String(marker)
	}
	out, err := c.api.ListRoles(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("list roles (marker %q): %w", marker, mapError(err))
	}
	roles := make([]Role, 0, len(out.Roles))
	for _, sr := range out.Roles {
		r, err := fromSDK(sr, false)
		if err != nil {
			return nil, "", fmt.Errorf("list roles (marker %q): role %q: %w", marker, aws.ToString(sr.RoleName), err)
		}
		roles = append(roles, r)
	}
	next := ""
	if out.IsTruncated {
		next = aws.ToString(out.Marker)
		if next == "" {
			return nil, "", fmt.Errorf("list roles (marker %q): truncated page without a marker", marker)
		}
	}
	return roles, next, nil
}

func fromSDK(sr types.Role, withTags bool) (Role, error) {
	doc, err := DecodePolicy(aws.ToString(sr.AssumeRolePolicyDocument))
	if err != nil {
		return Role{}, err
	}
	r := Role{
		Name:        aws.ToString(sr.RoleName),
		Path:        aws.ToString(sr.Path),
		ARN:         aws.ToString(sr.Arn),
		ID:          aws.ToString(sr.RoleId),
		TrustPolicy: doc,
	}
	if withTags {
		r.Tags = make(map[string]string, len(sr.Tags))
		for _, t := range sr.Tags {
			r.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	return r, nil
}

// DecodePolicy turns a policy document as IAM returns it (URL-encoded per RFC 3986) into its
// JSON text with url.PathUnescape, which keeps '+' as '+' (url.QueryUnescape would turn it into
// a space). Text that is evidently not URL-encoded (it holds a literal '{' or '"', which the
// encoding never leaves as is) is returned unchanged, so a non-encoding emulator works too.
func DecodePolicy(s string) ([]byte, error) {
	if strings.ContainsAny(s, `{"`) {
		return []byte(s), nil
	}
	doc, err := url.PathUnescape(s)
	if err != nil {
		return nil, fmt.Errorf("decode trust policy: %w", err)
	}
	return []byte(doc), nil
}
