package trustpolicy

import (
	"fmt"
	"strings"
)

// ParseMode parses "allow" or "require" (the modes Rules.Mode accepts).
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case ModeAllow, ModeRequire:
		return Mode(s), nil
	}
	return "", fmt.Errorf("parse mode %q: want %q or %q", s, ModeAllow, ModeRequire)
}

// Validate reports rules that Check and Fix cannot apply.
func (r Rules) Validate() error {
	switch r.Mode {
	case "", ModeAllow, ModeRequire:
	default:
		return fmt.Errorf("rules: mode %q: want %q or %q", r.Mode, ModeAllow, ModeRequire)
	}
	if r.SizeLimit != 0 {
		if err := ValidateSizeLimit(r.SizeLimit); err != nil {
			return fmt.Errorf("rules: %w", err)
		}
	}
	for i, p := range r.Patterns {
		if err := validPattern(p); err != nil {
			return fmt.Errorf("rules: pattern %d %q: %w", i, p, err)
		}
	}
	for i, f := range r.Federated {
		if f.Provider == "" {
			return fmt.Errorf("rules: federated rule %d: empty provider", i)
		}
		switch f.Mode {
		case ModeIgnore, ModeAllow, ModeRequire:
		default:
			return fmt.Errorf("rules: federated rule %d (%s): mode %q: want ignore, allow or require", i, f.Provider, f.Mode)
		}
	}
	return nil
}

// validPattern accepts StringLike patterns over the source-identity alphabet [\w+=,.@-] plus the
// wildcards '*' and '?'. Policy variables are refused: "${aws:username}" locks out every role
// session (docs/trust-policy-engine.md, "What compliant means").
func validPattern(p string) error {
	if p == "" {
		return fmt.Errorf("empty pattern")
	}
	if strings.HasPrefix(strings.ToLower(p), "aws:") {
		return fmt.Errorf(`source identities may not start with "aws:"`)
	}
	fixed := 0 // characters every match has
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("_+=,.@-?", c) >= 0:
		case c == '*':
			continue
		default:
			return fmt.Errorf("character %q is not allowed (use [A-Za-z0-9_+=,.@-] and the wildcards * and ?)", c)
		}
		fixed++
	}
	// STS accepts source identities of 2 to 64 characters
	// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
	if fixed > 64 || fixed < 2 && !strings.Contains(p, "*") {
		return fmt.Errorf("matches no source identity (STS accepts 2 to 64 characters)")
	}
	return nil
}

func (r Rules) mode() Mode {
	if r.Mode == "" {
		return ModeRequire
	}
	return r.Mode
}

func (r Rules) patterns() []string {
	if len(r.Patterns) == 0 {
		return defaultPatterns
	}
	return r.Patterns
}

var defaultPatterns = []string{"*"}

func (r Rules) sizeLimit() int {
	if r.SizeLimit <= 0 {
		return DefaultSizeLimit
	}
	return r.SizeLimit
}

// modeFor returns the mode the rules apply to a principal.
func (r Rules) modeFor(p principal) Mode {
	switch {
	case p.class.isAWS():
		return r.mode()
	case p.class.isFederated():
		for _, f := range r.Federated {
			if Match(f.Provider, p.value) {
				return f.Mode
			}
		}
	}
	return ModeIgnore
}
