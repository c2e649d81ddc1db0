// Package estate creates a synthetic IAM role estate in an emulator (moto_server): every kind
// of role the guard tells apart, in fixed proportions, for integration tests and the sweep
// benchmark. It never runs against real AWS: callers pass a client built for the emulator.
package estate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// Account is the account id the policies name (moto's default account).
const Account = "123456789012"

// Trust policies of the estate.
const (
	// PolicyCompliant requires a source identity from the account's principals.
	PolicyCompliant = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + Account + `:root"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"StringLike":{"sts:SourceIdentity":"*"}}}]}`
	// PolicyOpen lets the account's principals assume the role without a source identity.
	PolicyOpen = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + Account + `:root"},"Action":"sts:AssumeRole"}]}`
	// PolicyService trusts a service only.
	PolicyService = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	// PolicyMixed names a service and an account principal in one statement (the fix splits it).
	PolicyMixed = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com","AWS":"arn:aws:iam::` + Account + `:root"},"Action":"sts:AssumeRole"}]}`
	// PolicyWildcard trusts everyone: unfixable, needs a person.
	PolicyWildcard = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`
)

// Kind is one kind of role.
type Kind struct {
	Name   string // used as the role-name prefix
	Path   string
	Policy string
	Tags   map[string]string
	Weight int // share of the estate, out of the sum of all weights
}

// Tags the guard reads (mirrors guard.TagExempt and guard.TagMode without importing guard).
const (
	tagExempt = "source-identity-guard:exempt"
	tagMode   = "source-identity-guard:mode"
)

// ExemptPathPattern is the EXEMPT_ROLE_PATTERNS value that exempts the "legacy" kind.
const ExemptPathPattern = "/legacy/*"

// Kinds are the kinds of the estate, in creation order. 12 roles in 22 comply already (the
// compliant and service kinds).
var Kinds = []Kind{
	{Name: "compliant", Path: "/", Policy: PolicyCompliant, Weight: 10},
	{Name: "open", Path: "/", Policy: PolicyOpen, Weight: 3},
	{Name: "service", Path: "/service-role/", Policy: PolicyService, Weight: 2},
	{Name: "mixed", Path: "/", Policy: PolicyMixed, Weight: 1},
	{Name: "exempt-tag", Path: "/", Policy: PolicyOpen, Tags: map[string]string{tagExempt: "vendor integration"}, Weight: 1},
	{Name: "mode-allow", Path: "/", Policy: PolicyOpen, Tags: map[string]string{tagMode: "allow"}, Weight: 1},
	{Name: "legacy", Path: "/legacy/", Policy: PolicyOpen, Weight: 1},
	{Name: "AWSReservedSSO_Admin", Path: "/aws-reserved/sso.amazonaws.com/", Policy: PolicyOpen, Weight: 1},
	{Name: "AWSServiceRoleFor", Path: "/aws-service-role/support.amazonaws.com/", Policy: PolicyOpen, Weight: 1},
	{Name: "wildcard", Path: "/", Policy: PolicyWildcard, Weight: 1},
}

// Plan returns how many roles of each kind an estate of n roles has (same order as Kinds).
func Plan(n int) []int {
	total := 0
	for _, k := range Kinds {
		total += k.Weight
	}
	counts := make([]int, len(Kinds))
	left := n
	for i, k := range Kinds {
		counts[i] = n * k.Weight / total
		left -= counts[i]
	}
	for i := 0; left > 0; i = (i + 1) % len(Kinds) {
		counts[i]++
		left--
	}
	return counts
}

// RoleName is the name of the i-th role of kind k.
func RoleName(k Kind, i int) string { return fmt.Sprintf("%s-%05d", k.Name, i) }

// KindOf returns the kind a role name was created as.
func KindOf(name string) (Kind, bool) {
	for _, k := range Kinds {
		if strings.HasPrefix(name, k.Name+"-") {
			return k, true
		}
	}
	return Kind{}, false
}

// API is the part of *iam.Client Create uses.
type API interface {
	CreateRole(ctx context.Context, in *iam.CreateRoleInput, optFns ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
}

// Create creates an estate of n roles following Plan, with conc CreateRole calls in flight.
// It returns the number of roles of each kind.
func Create(ctx context.Context, api API, n, conc int) ([]int, error) {
	plan := Plan(n)
	type job struct {
		k Kind
		i int
	}
	jobs := make(chan job)
	errs := make(chan error, conc)
	var wg sync.WaitGroup
	for range max(conc, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				var tags []types.Tag
				for key, v := range j.k.Tags {
					tags = append(tags, types.Tag{Key: aws.String(key), Value: aws.String(v)})
				}
				name := RoleName(j.k, j.i)
				// moto_server sometimes answers a burst of CreateRole calls with a 500 whose body is
				// not XML; retry more than the SDK's default 3 times, and take "already exists" after
				// such a retry as done (the first attempt did create the role).
				_, err := api.CreateRole(ctx, &iam.CreateRoleInput{
					RoleName: aws.String(name), Path: aws.String(j.k.Path),
					AssumeRolePolicyDocument: aws.String(j.k.Policy), Tags: tags,
				}, func(o *iam.Options) { o.RetryMaxAttempts = 8 })
				if _, exists := errors.AsType[*types.EntityAlreadyExistsException](err); exists {
					err = nil
				}
				if err != nil {
					select {
					case errs <- fmt.Errorf("create role %q: %w", name, err):
					default:
					}
				}
			}
		}()
	}
	func() {
		defer close(jobs)
		for ki, k := range Kinds {
			for i := range plan[ki] {
				select {
				case jobs <- job{k, i}:
				case err := <-errs:
					errs <- err
					return
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return plan, nil
}
