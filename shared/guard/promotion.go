package guard

// Promotion: a role whose mode is allow (from the stack or a protected tag) that the
// ledger records as promoted is judged under require. A promotion only ever raises the mode
// (allow -> require): it never exempts a role, never lowers require, and a configured audit
// still writes nothing. So a forged promotion record can lock callers out of a role, never
// open one (docs/security.md).

import (
	"context"
	"strings"

	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
)

// ModeSourcePromotion is the ModeSource of a verdict judged under require because the role
// was promoted (sidguard promote, or the Promote function with PROMOTION=auto).
const ModeSourcePromotion = "promotion"

// Decisions of the Promote function's events (same "Trust Policy Decision" detail).
const (
	// Ready: a role in allow whose evidence over the window lets it require a source identity
	// (PROMOTION=propose: a person promotes it with sidguard promote).
	Ready Decision = "ready"
	// Promoted: the role was recorded as promoted to require.
	Promoted Decision = "promoted"
)

// Promotions is the set of promoted roles, keyed by PromotionKey. nil: none.
type Promotions map[string]bool

// Has reports whether the role with this ARN was promoted.
func (s Promotions) Has(roleARN string) bool {
	k := PromotionKey(roleARN)
	return k != "" && s[k]
}

// PromotionKey is a role's identity for promotions: partition, account and lower-cased name
// ("aws:111122223333:deployer"). IAM role names are unique per account whatever their case,
// and the path is not part of the identity (an assumed-role ARN loses it). "" when arn is not
// an IAM role ARN.
func PromotionKey(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "iam" || len(parts[4]) != 12 ||
		!strings.HasPrefix(parts[5], "role/") {
		return ""
	}
	name := parts[5][strings.LastIndexByte(parts[5], '/')+1:]
	if name == "" {
		return ""
	}
	return parts[1] + ":" + parts[4] + ":" + strings.ToLower(name)
}

// PromotionStore answers whether one role was promoted (the event path: one DynamoDB GetItem,
// *ledger.Ledger). Consumer-declared.
type PromotionStore interface {
	Promoted(ctx context.Context, roleARN string) (bool, error)
}

// promote raises v's mode from allow to require when the role was promoted.
func (p Policy) promote(roleARN string, v Verdict) Verdict {
	if v.Mode == ModeAllow && p.Promoted.Has(roleARN) {
		v.Mode, v.ModeSource = ModeRequire, ModeSourcePromotion
	}
	return v
}

// PromotionMatters reports whether a promotion of the role would change its verdict: its
// effective mode is allow and it is not already compliant under require (and not exempt). Only
// then does the event path read the ledger.
func (p Policy) PromotionMatters(r iamrole.Role) bool {
	k := PromotionKey(r.ARN)
	if k == "" {
		return false
	}
	q := p
	q.Promoted = Promotions{k: true}
	return q.Decide(r).ModeSource == ModeSourcePromotion
}

// MetricPromotionReads counts the event path's ledger reads for promotions (EMF, no dimension).
const MetricPromotionReads = "PromotionReads"

// withPromotion decides role again under its promotion when one is recorded. A ledger that
// cannot be read leaves the allow verdict (which never loosens a policy that already requires a
// source identity: Decide finds such a role compliant first), says so in the reason and counts
// an error (operation read-promotion); the next sweep reads the promotions again.
func (g *Guard) withPromotion(ctx context.Context, p Policy, role iamrole.Role, v Verdict) Verdict {
	if g.cfg.Promotions == nil || !p.PromotionMatters(role) {
		return v
	}
	g.count(ctx, MetricPromotionReads, "", "")
	ok, err := g.cfg.Promotions.Promoted(ctx, role.ARN)
	if err != nil {
		g.count(ctx, MetricErrors, "operation", "read-promotion")
		g.cfg.Logger.WarnContext(ctx, "promotion not read: judged under the role's own mode", "roleArn", role.ARN, "err", err)
		v.Reason += " (promotion not read: " + err.Error() + ")"
		return v
	}
	if !ok {
		return v
	}
	p.Promoted = Promotions{PromotionKey(role.ARN): true}
	return p.Decide(role)
}
