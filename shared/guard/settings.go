package guard

import (
	"fmt"
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
	EnvFunctionNames  = "GUARD_FUNCTION_NAMES"     // the guard's functions (besides AWS_LAMBDA_FUNCTION_NAME)
	EnvTrustTags      = "TRUST_ROLE_TAGS"          // "true": honour the source-identity-guard:* tags
	EnvLambdaFunction = "AWS_LAMBDA_FUNCTION_NAME" // set by Lambda: this function's name
	DefaultBusName    = "default"
	DefaultPatterns   = "*"
	DefaultModeString = string(ModeRequire)
)

// Settings are the guard's configuration, read from the environment.
type Settings struct {
	Policy  Policy
	BusName string // FINDINGS_BUS_NAME: name or ARN of the findings bus
	// OwnRoleARNs (GUARD_ROLE_ARNS): the guard's execution roles. Their trust policy is
	// compared with the stack's (Policy.OwnRoles).
	OwnRoleARNs []string
	// OwnSessions: the Lambda sessions of the guard's functions (every own role with every name
	// of GUARD_FUNCTION_NAMES and AWS_LAMBDA_FUNCTION_NAME); their calls are skipped.
	OwnSessions []string
	// Account is the account of the first of OwnRoleARNs ("" when there is none): the account
	// a single-account guard manages.
	Account string
}

// Validators for list items. Plain functions, not regular expressions: nothing is compiled at
// program start (the Lambda init time is measured).
var (
	// sourceIdentityPattern: STS source identity characters [\w+=,.@-] plus the glob
	// characters '*' and '?'; 1 to 64 characters (a single "*" matches any identity).
	sourceIdentityPattern = charset(1, 64, "+=,.@-*?")
	// rolePattern: role name characters [\w+=,.@-], '/' for paths, and '*' and '?'.
	rolePattern = charset(1, 512+64, "+=,.@-/*?")
	// providerPattern: a SAML/OIDC provider ARN or a web identity provider name, with globs.
	providerPattern = charset(1, 2048, "+=,.@-/:*?")
)

// charset returns a check for strings of min to max ASCII letters, digits, '_' and extra.
func charset(min, max int, extra string) func(string) bool {
	return func(s string) bool {
		if len(s) < min || len(s) > max {
			return false
		}
		for i := 0; i < len(s); i++ {
			c := s[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || strings.IndexByte(extra, c) >= 0) {
				return false
			}
		}
		return true
	}
}

// validBusName reports whether s is an event bus name ([/.-_A-Za-z0-9]{1,256}) or ARN.
func validBusName(s string) bool {
	if strings.HasPrefix(s, "arn:") {
		parts := strings.SplitN(s, ":", 6) // arn:partition:events:region:account:event-bus/name
		return len(parts) == 6 && strings.HasPrefix(parts[1], "aws") && parts[2] == "events" &&
			parts[3] != "" && trustpolicy.IsAccountID(parts[4]) && strings.HasPrefix(parts[5], "event-bus/") &&
			validBusName(strings.TrimPrefix(parts[5], "event-bus/"))
	}
	return charset(1, 256, "/.-")(s)
}

// parseRoleARN splits arn:PARTITION:iam::ACCOUNT:role/PATH/NAME into account and name.
func parseRoleARN(s string) (account, name string, ok bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") || parts[2] != "iam" ||
		parts[3] != "" || !trustpolicy.IsAccountID(parts[4]) || !strings.HasPrefix(parts[5], "role/") {
		return "", "", false
	}
	name = parts[5][strings.LastIndexByte(parts[5], '/')+1:]
	if !charset(1, 64, "+=,.@-")(name) {
		return "", "", false
	}
	return parts[4], name, true
}

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
	if err != nil {
		return Settings{}, fmt.Errorf("%s: %q is not a whole number of characters (IAM's trust policy length quota)", EnvSizeLimit, limit)
	}
	if err := trustpolicy.ValidateSizeLimit(n); err != nil {
		return Settings{}, fmt.Errorf("%s: %w", EnvSizeLimit, err)
	}
	s.Policy.SizeLimit = n

	s.BusName = get(EnvFindingsBus, DefaultBusName)
	if !validBusName(s.BusName) {
		return Settings{}, fmt.Errorf("%s: %q is not an event bus name or ARN", EnvFindingsBus, s.BusName)
	}

	switch t := strings.ToLower(get(EnvTrustTags, "false")); t {
	case "true", "false":
		s.Policy.TrustTags = t == "true"
	default:
		return Settings{}, fmt.Errorf("%s: %q: want true or false", EnvTrustTags, t)
	}
	functions, err := list(EnvFunctionNames, get(EnvFunctionNames, ""), charset(1, 64, "-"),
		"a Lambda function name is 1-64 of the characters A-Z a-z 0-9 _ -")
	if err != nil {
		return Settings{}, err
	}
	if self := get(EnvLambdaFunction, ""); self != "" {
		functions = append(functions, self)
	}

	arns, err := list(EnvGuardRoleARNs, get(EnvGuardRoleARNs, ""), func(s string) bool { _, _, ok := parseRoleARN(s); return ok },
		"want IAM role ARNs like arn:aws:iam::111122223333:role/name")
	if err != nil {
		return Settings{}, err
	}
	s.OwnRoleARNs = arns
	for _, a := range arns {
		account, name, _ := parseRoleARN(a)
		if s.Account == "" {
			s.Account = account
		} else if account != s.Account {
			return Settings{}, fmt.Errorf("%s: roles of two accounts (%s, %s): want the guard's roles in one account", EnvGuardRoleARNs, s.Account, account)
		}
		s.Policy.OwnRoles = append(s.Policy.OwnRoles, OwnRole{Name: name, TrustPolicy: OwnTrustPolicy(account)})
		partition := strings.SplitN(a, ":", 3)[1]
		for _, fn := range functions {
			s.OwnSessions = append(s.OwnSessions, "arn:"+partition+":sts::"+account+":assumed-role/"+name+"/"+fn)
		}
	}

	r := s.Policy.rules(ModeRequire)
	if err := r.Validate(); err != nil {
		return Settings{}, fmt.Errorf("%s, %s, %s: %w", EnvPatterns, EnvFederated, EnvSizeLimit, err)
	}
	return s, nil
}

// list splits a comma-separated value; every item must be valid.
func list(name, value string, valid func(string) bool, want string) ([]string, error) {
	if value == "" {
		return nil, nil
	}
	var out []string
	for i, item := range strings.Split(value, ",") {
		item = strings.TrimSpace(item)
		if !valid(item) {
			return nil, fmt.Errorf("%s: item %d %q: %s", name, i+1, item, want)
		}
		out = append(out, item)
	}
	return out, nil
}
