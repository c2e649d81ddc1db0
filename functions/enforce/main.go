// Command enforce is the Enforce Lambda: an EventBridge rule on CloudTrail CreateRole,
// UpdateAssumeRolePolicy, TagRole and UntagRole sends the events to an SQS queue the function
// reads (or the function is invoked with one event), and the guard re-reads the role, judges
// its trust policy and patches it so that callers must (or may) set an STS source identity.
// Wiring only: the logic is in shared/guard.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	orgsdk "github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/source-identity-guard/source-identity-guard/shared/emf"
	"github.com/source-identity-guard/source-identity-guard/shared/eventbus"
	"github.com/source-identity-guard/source-identity-guard/shared/guard"
	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/ledger"
	"github.com/source-identity-guard/source-identity-guard/shared/orgaccounts"
)

// EnvMode is the enforce function's mode variable: audit | allow | require (default require).
const EnvMode = "MODE"

func main() {
	logger := lambdacontext.NewLogger()
	g, err := newGuard(os.LookupEnv, logger, os.Stdout)
	if err != nil {
		// The message names the variable; Lambda reports the init failure and retries later.
		logger.Error("startup failed", "err", err)
		os.Exit(1)
	}
	lambda.StartHandlerFunc(g.Invoke)
}

// newGuard builds the guard from the environment. It does no I/O; the SDK clients are built on
// the first event.
func newGuard(lookup func(string) (string, bool), logger *slog.Logger, metrics io.Writer) (*guard.Guard, error) {
	s, err := guard.LoadSettings(lookup, EnvMode)
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	cfg, err := awsConfig(lookup)
	if err != nil {
		return nil, err
	}
	c := &clients{cfg: cfg, lookup: lookup, busName: s.BusName}
	roles := c.rolesFor(s.Account)
	// MEMBER_ROLE_NAME set: the hub serves every account of the organization (org.go).
	if org, err := c.orgRolesFor(lookup, s); err != nil {
		return nil, err
	} else if org != nil {
		roles = org
	}
	fights, err := c.fights(lookup, logger) // IAC_FIGHT_THRESHOLD, IAC_FIGHT_TABLE (fights.go)
	if err != nil {
		return nil, err
	}
	gc := guard.Config{
		Fights:       fights,
		Policy:       s.Policy,
		Roles:        roles,
		Publisher:    c.publisher(),
		OwnSessions:  s.OwnSessions,
		Organization: c,
		Logger:       logger,
		Metrics:      emf.New(metrics, emf.Namespace),
	}
	// PROMOTION_TABLE: roles promoted to require in the ledger (one GetItem per event
	// that a promotion could change).
	if v, _ := lookup(EnvPromotionTable); strings.TrimSpace(v) != "" {
		c.promotionTable = strings.TrimSpace(v)
		gc.Promotions = c
	}
	return guard.New(gc)
}

// EnvPromotionTable names the ledger table holding promotion records ("" = none).
const EnvPromotionTable = "PROMOTION_TABLE"

// Promoted reads one role's promotion (guard.PromotionStore).
func (c *clients) Promoted(ctx context.Context, roleARN string) (bool, error) {
	c.once.Do(c.build)
	return c.promotions.Promoted(ctx, roleARN)
}

// clients builds the SDK clients once per execution environment, on the first event rather
// than at start: constructing them is about 0.5 ms of a cold start's init (measured under the
// Lambda Runtime Interface Emulator), and the first event pays it with no measurable change.
type clients struct {
	cfg     aws.Config
	lookup  func(string) (string, bool)
	busName string

	once  sync.Once
	roles *iamrole.Client
	bus   *eventbus.Publisher
	org   *orgaccounts.ManagementClient

	promotionTable string         //
	promotions     *ledger.Ledger //
}

// ManagementAccount reads the organization's management account (guard.Organization).
func (c *clients) ManagementAccount(ctx context.Context) (string, error) {
	c.once.Do(c.build)
	return c.org.ManagementAccount(ctx)
}

func (c *clients) build() {
	c.roles = iamrole.New(iam.NewFromConfig(c.cfg, func(o *iam.Options) {
		if ep := serviceEndpoint(c.lookup, "IAM"); ep != nil {
			o.BaseEndpoint = ep
		}
	}))
	c.bus = eventbus.New(eventbridge.NewFromConfig(c.cfg, func(o *eventbridge.Options) {
		if ep := serviceEndpoint(c.lookup, "EVENTBRIDGE"); ep != nil {
			o.BaseEndpoint = ep
		}
	}), c.busName)
	if c.promotionTable != "" { //
		c.promotions = ledger.New(dynamodb.NewFromConfig(c.cfg, func(o *dynamodb.Options) {
			if ep := serviceEndpoint(c.lookup, "DYNAMODB"); ep != nil {
				o.BaseEndpoint = ep
			}
		}), c.promotionTable, 0)
	}
	c.org = orgaccounts.NewManagementClient(orgsdk.NewFromConfig(c.cfg, func(o *orgsdk.Options) {
		if ep := serviceEndpoint(c.lookup, "ORGANIZATIONS"); ep != nil {
			o.BaseEndpoint = ep
		}
	}))
}

// rolesFor serves the guard's own account (any account when account is "").
func (c *clients) rolesFor(account string) guard.RolesFor {
	return func(ctx context.Context, a string) (guard.Roles, error) {
		c.once.Do(c.build)
		return guard.SingleAccount(c.roles, account)(ctx, a)
	}
}

// publisher sends one decision event through the bus; an entry the bus did not take is an error.
func (c *clients) publisher() guard.Publisher {
	return guard.PublisherFunc(func(ctx context.Context, ev guard.DecisionEvent) error {
		c.once.Do(c.build)
		entry := eventbus.Entry{
			Source:     guard.EventSource,
			DetailType: guard.EventDetailType,
			Detail:     ev,
		}
		if ev.RoleARN != "" {
			entry.Resources = []string{ev.RoleARN}
		}
		if _, err := c.bus.Publish(ctx, []eventbus.Entry{entry}); err != nil {
			return fmt.Errorf("publish decision for %q: %w", ev.RoleName, err)
		}
		return nil
	})
}
