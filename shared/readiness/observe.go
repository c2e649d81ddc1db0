package readiness

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/trailrecord"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// Kind says what an observation is.
type Kind string

const (
	KindAssumption Kind = "assumption" // a successful AssumeRole* call
	KindConsole    Kind = "console"    // a console SwitchRole sign-in event
)

// Skip says why a record gave no observation.
type Skip string

const (
	SkipNone          Skip = ""
	SkipOtherEvent    Skip = "other-event"    // not a role assumption or console switch-role
	SkipService       Skip = "aws-service"    // userIdentity.type AWSService
	SkipFailed        Skip = "failed"         // errorCode set, or SwitchRole not "Success"
	SkipCallerCopy    Skip = "caller-copy"    // the caller account's copy of a cross-account call
	SkipNoRole        Skip = "no-role"        // no recognisable role ARN in the record
	SkipBadTime       Skip = "bad-time"       // eventTime missing or not RFC 3339
	SkipOutsideWindow Skip = "outside-window" // counted by the Aggregator, not by Observe
)

// Role identifies a role.
type Role struct {
	ARN       string // with its path when known
	Partition string
	Account   string
	Name      string
	PathKnown bool // false when the ARN was derived from an assumed-role ARN
}

// RoleKey is a role's identity across spellings.
type RoleKey struct{ Partition, Account, Name string }

// Key is the role's identity across spellings: partition, account and lower-cased name.
func (r Role) Key() RoleKey {
	return RoleKey{r.Partition, r.Account, strings.ToLower(r.Name)}
}

// Caller identifies who assumed the role (see the package doc for how it is derived).
type Caller struct {
	Principal   string // ARN-like principal: a user, a role, an account root, a SAML/OIDC provider
	Type        string // userIdentity.type of the record
	PrincipalID string // for AWSAccount callers: the caller's unique id (AIDA…, AROA…)
}

// CallerKey groups a caller's observations.
type CallerKey struct{ Principal, PrincipalID string }

// Key groups a caller's observations.
func (c Caller) Key() CallerKey { return CallerKey{c.Principal, c.PrincipalID} }

// Observation is one role assumption or console session, as the readiness verdict needs it.
type Observation struct {
	Kind   Kind
	Role   Role
	Caller Caller
	Time   time.Time
	// SourceIdentity is the value seen ("" when none); From says where: "request",
	// "response" or "session".
	SourceIdentity string
	From           string
	UserAgent      string
	Client         string // ClientFamily(UserAgent), "console" for console use
	Console        bool   // console use: SwitchRole, or the "AWS Internal" AssumeRole behind it
	EventID        string
	Region         string
}

// HasSourceIdentity reports whether the assumption carried a source identity.
func (o Observation) HasSourceIdentity() bool { return o.SourceIdentity != "" }

// Observe turns one decoded record into an observation, or says why it gives none.
func Observe(r trailrecord.Record) (Observation, Skip) {
	var kind Kind
	switch {
	case r.EventSource == "sts.amazonaws.com" && (r.EventName == "AssumeRole" || r.EventName == "AssumeRoleWithSAML" || r.EventName == "AssumeRoleWithWebIdentity"):
		kind = KindAssumption
	case r.EventSource == "signin.amazonaws.com" && r.EventName == "SwitchRole":
		kind = KindConsole
	default:
		return Observation{}, SkipOtherEvent
	}
	if r.Identity.Type == "AWSService" {
		return Observation{}, SkipService
	}
	if r.ErrorCode != "" || (kind == KindConsole && r.SwitchRoleResult != "Success") {
		return Observation{}, SkipFailed
	}
	var role Role
	var ok bool
	if kind == KindAssumption {
		role, ok = targetRole(r)
	} else {
		role, ok = RoleFromARN(r.Identity.ARN)
	}
	if !ok {
		return Observation{}, SkipNoRole
	}
	if r.RecipientAccountID != "" && r.RecipientAccountID != role.Account {
		return Observation{}, SkipCallerCopy
	}
	t, err := time.Parse(time.RFC3339, r.EventTime)
	if err != nil {
		return Observation{}, SkipBadTime
	}
	o := Observation{
		Kind:      kind,
		Role:      role,
		Time:      t.UTC(),
		UserAgent: r.UserAgent,
		Client:    clientFamilyCached(r.UserAgent),
		EventID:   r.EventID,
		Region:    r.AWSRegion,
	}
	if kind == KindConsole {
		o.Console = true
		o.Client = "console"
		o.Caller = Caller{Principal: normalizePrincipal(r.SwitchFrom), Type: r.Identity.Type}
		if o.Caller.Principal == "" {
			o.Caller.Principal = "unknown console user"
		}
		return o, SkipNone
	}
	switch {
	case r.SourceIdentity != "":
		o.SourceIdentity, o.From = r.SourceIdentity, "request"
	case r.ResponseSourceIdentity != "":
		o.SourceIdentity, o.From = r.ResponseSourceIdentity, "response"
	case r.Identity.SessionSourceIdentity != "":
		o.SourceIdentity, o.From = r.Identity.SessionSourceIdentity, "session"
	}
	if r.UserAgent == "AWS Internal" || r.Identity.InvokedBy == "AWS Internal" {
		o.Console = true
		o.Client = "console"
	}
	o.Caller = caller(r, role)
	return o, SkipNone
}

// targetRole finds the assumed role of an AssumeRole* record.
func targetRole(r trailrecord.Record) (Role, bool) {
	if role, ok := RoleFromARN(r.RoleARN); ok {
		return role, true
	}
	for _, a := range r.RoleResources {
		if role, ok := RoleFromARN(a); ok {
			return role, true
		}
	}
	return RoleFromARN(r.AssumedRoleARN)
}

// RoleFromARN parses a role ARN (arn:P:iam::A:role/PATH/NAME) or an assumed-role session
// ARN (arn:P:sts::A:assumed-role/NAME/SESSION, which has no path).
func RoleFromARN(arn string) (Role, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || !trustpolicy.IsAccountID(parts[4]) {
		return Role{}, false
	}
	part, acct, res := parts[1], parts[4], parts[5]
	switch {
	case parts[2] == "iam" && strings.HasPrefix(res, "role/"):
		name := res[strings.LastIndexByte(res, '/')+1:]
		if name == "" {
			return Role{}, false
		}
		return Role{ARN: arn, Partition: part, Account: acct, Name: name, PathKnown: true}, true
	case parts[2] == "sts" && strings.HasPrefix(res, "assumed-role/"):
		name, _, ok := strings.Cut(strings.TrimPrefix(res, "assumed-role/"), "/")
		if !ok || name == "" {
			return Role{}, false
		}
		return Role{ARN: fmt.Sprintf("arn:%s:iam::%s:role/%s", part, acct, name), Partition: part, Account: acct, Name: name}, true
	}
	return Role{}, false
}

// normalizePrincipal turns an assumed-role session ARN into its role's ARN (path lost);
// other ARNs are kept.
func normalizePrincipal(arn string) string {
	if strings.Contains(arn, ":assumed-role/") {
		if role, ok := RoleFromARN(arn); ok {
			return role.ARN
		}
	}
	return arn
}

func caller(r trailrecord.Record, role Role) Caller {
	id := r.Identity
	c := Caller{Type: id.Type}
	switch id.Type {
	case "AssumedRole":
		if id.SessionIssuerARN != "" {
			c.Principal = id.SessionIssuerARN
		} else {
			c.Principal = normalizePrincipal(id.ARN)
		}
	case "AWSAccount":
		if trustpolicy.IsAccountID(id.AccountID) {
			c.Principal = fmt.Sprintf("arn:%s:iam::%s:root", role.Partition, id.AccountID)
		} else {
			c.Principal = "account " + id.AccountID
		}
		c.PrincipalID, _, _ = strings.Cut(id.PrincipalID, ":")
	case "SAMLUser":
		c.Principal = r.PrincipalARN
		if c.Principal == "" {
			c.Principal = "saml:" + id.IdentityProvider
		}
	case "WebIdentityUser":
		c.Principal = id.IdentityProvider
	}
	if c.Principal == "" {
		c.Principal = id.ARN
	}
	if c.Principal == "" {
		c.Principal = id.PrincipalID
	}
	if c.Principal == "" {
		c.Principal = "unknown caller"
	}
	return c
}

// clientFamilies caches ClientFamily by user agent (few distinct values, one per record),
// up to maxCachedAgents entries.
var (
	clientFamilies  sync.Map
	cachedAgents    atomic.Int64
	maxCachedAgents = int64(1 << 12)
)

func clientFamilyCached(ua string) string {
	if f, ok := clientFamilies.Load(ua); ok {
		return f.(string)
	}
	f := ClientFamily(ua)
	if cachedAgents.Load() < maxCachedAgents {
		if _, loaded := clientFamilies.LoadOrStore(ua, f); !loaded {
			cachedAgents.Add(1)
		}
	}
	return f
}

// ClientFamily names the client from a user agent: aws-cli, boto3, botocore, terraform,
// aws-cdk, aws-sdk-go-v2, aws-sdk-go, aws-sdk-java, aws-sdk-js, aws-sdk-dotnet, aws-sdk-rust,
// aws-sdk-ruby, aws-sdk-php, console, sidguard, other, or unknown (no user agent).
func ClientFamily(ua string) string {
	if ua == "" {
		return "unknown"
	}
	l := strings.ToLower(ua)
	switch {
	case ua == "AWS Internal", strings.Contains(l, "signin.amazonaws.com"), strings.Contains(l, "console.amazonaws.com"), strings.HasPrefix(ua, "Mozilla/"):
		return "console"
	case strings.Contains(l, "sidguard"):
		return "sidguard"
	case strings.Contains(l, "terraform"):
		return "terraform"
	case strings.Contains(l, "aws-cdk"):
		return "aws-cdk"
	case strings.HasPrefix(l, "aws-cli/"), strings.Contains(l, " aws-cli/"):
		return "aws-cli"
	case strings.Contains(l, "boto3/"):
		return "boto3"
	case strings.Contains(l, "botocore/"):
		return "botocore"
	}
	for _, sdk := range []string{"aws-sdk-go-v2", "aws-sdk-go", "aws-sdk-java", "aws-sdk-js", "aws-sdk-nodejs", "aws-sdk-dotnet", "aws-sdk-rust", "aws-sdk-ruby", "aws-sdk-php", "aws-sdk-cpp"} {
		if strings.Contains(l, sdk+"/") || strings.Contains(l, sdk+"-") {
			if sdk == "aws-sdk-nodejs" {
				return "aws-sdk-js"
			}
			return sdk
		}
	}
	return "other"
}
