package main

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/source-identity-guard/source-identity-guard/shared/accountroles"
	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/orgaccounts"
)

// EnvMemberRoleName is the role the hub assumes in the other accounts of the organization
// (docs/organization.md). It may carry a path ("source-identity-guard/member"). Unset or empty:
// the guard serves only its own account.
const EnvMemberRoleName = "MEMBER_ROLE_NAME"

// orgRolesFor returns the RolesFor of a hub (MEMBER_ROLE_NAME set): the own account's client for
// its events, and for any other ACTIVE account of the organization a client on the member role.
// It returns nil when MEMBER_ROLE_NAME is unset. The clients are built on the first event.
func (c *clients) orgRolesFor(lookup func(string) (string, bool), s guard.Settings) (guard.RolesFor, error) {
	v, _ := lookup(EnvMemberRoleName)
	if strings.TrimSpace(v) == "" {
		return nil, nil
	}
	name, err := accountroles.CleanRoleName(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvMemberRoleName, err)
	}
	if s.Account == "" {
		return nil, fmt.Errorf("%s: needs %s (the hub's own roles, which name its account)", EnvMemberRoleName, guard.EnvGuardRoleARNs)
	}
	var (
		once sync.Once
		set  *accountroles.Set[*iamrole.Client]
		berr error
	)
	build := func() {
		c.once.Do(c.build)
		stsc := sts.NewFromConfig(c.cfg, func(o *sts.Options) {
			if ep := serviceEndpoint(c.lookup, "STS"); ep != nil {
				o.BaseEndpoint = ep
			}
		})
		orgc := organizations.NewFromConfig(c.cfg, func(o *organizations.Options) {
			if ep := serviceEndpoint(c.lookup, "ORGANIZATIONS"); ep != nil {
				o.BaseEndpoint = ep
			}
		})
		set, berr = accountroles.New(accountroles.Config{
			Own:       s.Account,
			Partition: partitionOf(s.OwnRoleARNs[0]),
			RoleName:  name,
			STS:       stsc,
			Members:   &orgaccounts.Lookup{API: orgc},
		}, c.roles, func(_ string, creds aws.CredentialsProvider) *iamrole.Client {
			cfg := c.cfg.Copy()
			cfg.Credentials = creds
			return iamrole.New(iam.NewFromConfig(cfg, func(o *iam.Options) {
				if ep := serviceEndpoint(c.lookup, "IAM"); ep != nil {
					o.BaseEndpoint = ep
				}
			}))
		})
	}
	return func(ctx context.Context, account string) (guard.Roles, error) {
		once.Do(build)
		if berr != nil {
			return nil, berr
		}
		// An *accountroles.Error (not a member, member role not assumable) is not
		// guard.ErrForeignAccount: the guard publishes it as a failed decision naming the
		// account and the reason; only throttling or a network failure is retried.
		return set.For(ctx, account)
	}, nil
}

// partitionOf returns the partition of an ARN ("aws" when it is not one).
func partitionOf(arn string) string {
	if parts := strings.SplitN(arn, ":", 3); len(parts) == 3 && parts[0] == "arn" && parts[1] != "" {
		return parts[1]
	}
	return "aws"
}
