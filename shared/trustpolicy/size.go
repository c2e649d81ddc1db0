package trustpolicy

import "fmt"

// IAM's "role trust policy length" quota: 2,048 characters by default, adjustable through
// Service Quotas (quota code L-C07B4B0D) up to 8,192. No account has a quota below the default,
// so a limit under MinSizeLimit would refuse fixes IAM accepts. Whitespace outside strings is
// not counted (Document.Size). https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
const (
	// DefaultSizeLimit is IAM's default quota; Rules.SizeLimit 0 means this.
	DefaultSizeLimit = 2048
	// MinSizeLimit is the smallest limit ValidateSizeLimit accepts (the default quota).
	MinSizeLimit = DefaultSizeLimit
	// MaxSizeLimit is the largest quota IAM lets an account raise it to.
	MaxSizeLimit = 8192
)

// ValidateSizeLimit reports whether n is a trust-policy length quota an account can have:
// MinSizeLimit to MaxSizeLimit characters. It is the one check every configuration source (CLI
// flags, the guard's settings, Rules.Validate) applies.
func ValidateSizeLimit(n int) error {
	if n < MinSizeLimit || n > MaxSizeLimit {
		return fmt.Errorf("size limit %d: want %d to %d characters (IAM's role trust policy length quota: %d by default, adjustable up to %d)",
			n, MinSizeLimit, MaxSizeLimit, DefaultSizeLimit, MaxSizeLimit)
	}
	return nil
}
