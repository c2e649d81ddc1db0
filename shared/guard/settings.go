package guard

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// Environment variables read by LoadSettings. The mode variable's name is a parameter (MODE for
// the enforce function, SWEEP_MODE for the sweep).
const (
	EnvPatterns       = "SOURCE_IDENTITY_PATTERNS"
	EnvExemptRoles    = "EXEMPT_ROLE_PATTERNS"
	EnvFederated      = "FEDERATED_PROVIDERS"
	EnvSizeLimit      = "TRUST_POLICY_SIZE_LIMIT"
	EnvFindingsBus    = "FINDINGS_BUS_NAME"
	EnvGuardRoleARNs  = "GUARD_ROLE_ARNS"
	DefaultBusName    = "default"
	DefaultPatterns   = "*"
	DefaultModeString = string(ModeRequire)
)

// Settings are the guard's configuration, read from the environment.
type Settings struct {
	Policy  Policy
	BusName string // FINDINGS_BUS_NAME: name or ARN of the findings bus
	// OwnRoleARNs (GUARD_ROLE_ARNS): the guard's execution roles. Their calls are skipped and
	// the roles themselves are exempt (Policy.OwnRoleNames).
	OwnRoleARNs []string
	// Account is the account of the first of OwnRoleARNs ("" when there is none): the account
	// a single-account guard manages.
	Account string
}

var (
	// sourceIdentityPattern: STS source identity characters [\w+=,.@-] plus the glob
	// characters '*' and '?'; 1 to 64 characters (a single "*" matches any identity).
	sourceIdentityPattern = regexp.MustCompile(`^[\w+=,.@*?-]{1,64}$`)
	// rolePattern: role name characters [\w+=,.@-], '/' for paths, and '*' and '?'.
	rolePattern = regexp.MustCompile(`^[\w+=,.@/*?-]{1,576}$`)
	// providerPattern: a SAML/OIDC provider ARN or a web identity provider name, with globs.
	providerPattern = regexp.MustCompile(`^[\w+=,.@/:*?-]{1,2048}$`)
	// busName: an event bus name or ARN.
	busName = regexp.MustCompile(`^(arn:aws[\w-]*:events:[a-z0-9-]+:\d{12}:event-bus/)?[/\.\-_A-Za-z0-9]{1,256}$`)
	// roleARN: arn:PARTITION:iam::ACCOUNT:role/PATH/NAME.
	roleARN = regexp.MustCompile(`^arn:aws[\w-]*:iam::(\d{12}):role/(?:[\x21-\x7e]*/)?([\w+=,.@-]{1,64})$`)
)

// LoadSettings reads the settings through lookup (os.LookupEnv in main). modeVar names the
// mode variable. An unset or empty variable takes its default; any invalid value is an error
// that names the variable, so that nothing runs under a half-understood configuration.
func LoadSettings(lookup func(string) (string, bool), modeVar string) (Settings, error) {
	get := func(name, def string) string {
		v, ok := lookup(name)
		v = strings.TrimSpace(v)
		if !ok || v == "" {
			return def
		}
		return v
	}
	var s Settings

	mode, err := ParseMode(get(modeVar, DefaultModeString))
	if err != nil {
		return Settings{}, fmt.Errorf("%s: %w", modeVar, err)
	}
	s.Policy.Mode = mode

	if s.Policy.Patterns, err = list(EnvPatterns, get(EnvPatterns, DefaultPatterns), sourceIdentityPattern,
		"a source identity pattern is 1-64 of the characters A-Z a-z 0-9 _ + = , . @ - * ?"); err != nil {
		return Settings{}, err
	}
	if s.Policy.ExemptRolePatterns, err = list(EnvExemptRoles, get(EnvExemptRoles, ""), rolePattern,
		"a role pattern is a role name or path+name glob of the characters A-Z a-z 0-9 _ + = , . @ - / * ?"); err != nil {
		return Settings{}, err
	}
	providers, err := list(EnvFederated, get(EnvFederated, ""), providerPattern,
		"a provider is an IAM SAML/OIDC provider ARN glob or a web identity provider name")
	if err != nil {
		return Settings{}, err
	}
	for _, p := range providers {
		s.Policy.Federated = append(s.Policy.Federated, trustpolicy.FederatedRule{Provider: p})
	}

	limit := get(EnvSizeLimit, strconv.Itoa(trustpolicy.DefaultSizeLimit))
	n, err := strconv.Atoi(limit)
	if err != nil || n < trustpolicy.DefaultSizeLimit || n > trustpolicy.MaxSizeLimit {
		return Settings{}, fmt.Errorf("%s: %q is not a whole number from %d to %d (IAM's trust policy length quota)",
			EnvSizeLimit, limit, trustpolicy.DefaultSizeLimit, trustpolicy.MaxSizeLimit)
	}
	s.Policy.SizeLimit = n

	s.BusName = get(EnvFindingsBus, DefaultBusName)
	if !busName.MatchString(s.BusName) {
		return Settings{}, fmt.Errorf("%s: %q is not an event bus name or ARN", EnvFindingsBus, s.BusName)
	}

	arns, err := list(EnvGuardRoleARNs, get(EnvGuardRoleARNs, ""), roleARN,
		"want IAM role ARNs like arn:aws:iam::111122223333:role/name")
	if err != nil {
		return Settings{}, err
	}
	s.OwnRoleARNs = arns
	for _, a := range arns {
		m := roleARN.FindStringSubmatch(a)
		if s.Account == "" {
			s.Account = m[1]
		} else if m[1] != s.Account {
			return Settings{}, fmt.Errorf("%s: roles of two accounts (%s, %s): want the guard's roles in one account", EnvGuardRoleARNs, s.Account, m[1])
		}
		s.Policy.OwnRoleNames = append(s.Policy.OwnRoleNames, m[2])
	}

	r := s.Policy.rules(ModeRequire)
	if err := r.Validate(); err != nil {
		return Settings{}, fmt.Errorf("%s, %s, %s: %w", EnvPatterns, EnvFederated, EnvSizeLimit, err)
	}
	return s, nil
}

// list splits a comma-separated value; every item must match re.
func list(name, value string, re *regexp.Regexp, want string) ([]string, error) {
	if value == "" {
		return nil, nil
	}
	var out []string
	for i, item := range strings.Split(value, ",") {
		item = strings.TrimSpace(item)
		if !re.MatchString(item) {
			return nil, fmt.Errorf("%s: item %d %q: %s", name, i+1, item, want)
		}
		out = append(out, item)
	}
	return out, nil
}
