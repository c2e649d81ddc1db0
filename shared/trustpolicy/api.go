package trustpolicy

// This file pins the package's public contract. The implementation lives in the other files.

import (
	"errors"
)

// Mode says what Fix brings an AWS-principal (or opted-in Federated) statement to.
type Mode string

const (
	// ModeIgnore leaves a principal class alone (the default for Federated providers).
	ModeIgnore Mode = "ignore"
	// ModeAllow adds sts:SetSourceIdentity only. It breaks nobody: the first rollout step.
	ModeAllow Mode = "allow"
	// ModeRequire is ModeAllow plus a condition that fails when no source identity is set.
	ModeRequire Mode = "require"
)

// FederatedRule opts the Federated providers whose ARN (or name, for built-in web identity
// providers) matches Provider, a glob with '*' and '?', into Mode. The first matching rule wins;
// a provider no rule matches is ModeIgnore.
type FederatedRule struct {
	Provider string
	Mode     Mode
}

// Rules configure Check and Fix. The zero value means: require a source identity from AWS
// principals, any value ("*"), Federated ignored, quota 2048.
type Rules struct {
	Mode      Mode            // ModeAllow or ModeRequire; "" means ModeRequire
	Patterns  []string        // sts:SourceIdentity value patterns for StringLike; nil means ["*"]
	Federated []FederatedRule // per-provider opt-in
	SizeLimit int             // trust-policy length quota; 0 means DefaultSizeLimit (see ValidateSizeLimit)
}

// ErrMalformed is wrapped by every error Parse returns for a document IAM would reject or that
// is not a trust policy. The error text names the field (e.g. `Statement[1].Effect`) and why.
var ErrMalformed = errors.New("malformed trust policy")

// Finding is one reason a policy is not compliant under the rules.
type Finding struct {
	Code       Code     `json:"code"`
	Statement  int      `json:"statement"`            // index in Statement; -1 for the whole document
	SID        string   `json:"sid,omitempty"`        // the statement's Sid, if any
	Principals []string `json:"principals,omitempty"` // principals concerned, e.g. "AWS:arn:aws:iam::111122223333:root"
	Message    string   `json:"message"`              // one line a security engineer understands
	Fixed      bool     `json:"fixed,omitempty"`      // set by Fix when the returned document resolves it
}

// Signatures (implemented elsewhere in this package):
//
//	func Parse(data []byte) (*Document, error)
//	func (d *Document) MarshalJSON() ([]byte, error) // compact, no HTML escaping, untouched parts kept
//	func (d *Document) Size() int                    // characters IAM counts against the quota
//	func (r Rules) Validate() error
//	func ParseMode(s string) (Mode, error)           // "allow" | "require"
//	func ValidateSizeLimit(n int) error              // MinSizeLimit..MaxSizeLimit
//	func (c Code) Fixable() bool                     // codes.go: the codes and their classes
//	func (c Code) Informational() bool
//	func Compliant(fs []Finding) bool                // no finding but informational ones
//	func Match(pattern, s string) bool               // IAM StringLike glob (glob.go)
//	func Check(d *Document, r Rules) []Finding       // Compliant(findings): compliant under r
//	func Fix(d *Document, r Rules) (*Document, []Finding)
//	    // Returns d itself (same pointer) when it changes nothing; never mutates d.
//	    // Findings: every finding of Check(d, r), Fixed set on those the result resolves, plus
//	    // CodeTooLarge (and d unchanged) when the fixed document would exceed r.SizeLimit.
