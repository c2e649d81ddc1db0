package orgaccounts

// The organization's management account (DescribeOrganization, which any account of the
// organization may call), which the guard needs to recognise the roles AWS creates for the
// management account (see shared/guard/awsroles.go).
// https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeOrganization.html

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// ManagementAPI is the part of *organizations.Client that ManagementClient uses.
type ManagementAPI interface {
	DescribeOrganization(ctx context.Context, in *organizations.DescribeOrganizationInput, optFns ...func(*organizations.Options)) (*organizations.DescribeOrganizationOutput, error)
}

var _ ManagementAPI = (*organizations.Client)(nil)

// ManagementClient reads the organization's management account.
type ManagementClient struct{ api ManagementAPI }

// NewManagementClient returns a ManagementClient.
func NewManagementClient(api ManagementAPI) *ManagementClient { return &ManagementClient{api: api} }

// ManagementAccount returns the organization's management account id, or "" (and no error)
// when the account belongs to no organization. It fails when it may not call
// DescribeOrganization or cannot reach it.
func (c *ManagementClient) ManagementAccount(ctx context.Context) (string, error) {
	out, err := c.api.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if _, ok := errors.AsType[*types.AWSOrganizationsNotInUseException](err); ok {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("describe organization: %w", err)
	}
	if out.Organization == nil || aws.ToString(out.Organization.MasterAccountId) == "" {
		return "", errors.New("describe organization: no management account in the answer")
	}
	return aws.ToString(out.Organization.MasterAccountId), nil
}
