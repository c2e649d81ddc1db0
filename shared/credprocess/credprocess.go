package credprocess

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors the helper reports; each has its own advice (see Advice).
var (
	// ErrNoBaseCredentials: no credentials to start from, or STS rejected them.
	ErrNoBaseCredentials = errors.New("no usable base credentials")
	// ErrRoleNotAssumable: STS refused AssumeRole for a reason other than the source identity.
	ErrRoleNotAssumable = errors.New("role not assumable")
	// ErrSourceIdentityRefused: STS refused the source identity (sts:SetSourceIdentity denied,
	// or a session that carries another one).
	ErrSourceIdentityRefused = errors.New("source identity refused")
	// ErrInvalidSourceIdentity: the value breaks STS's rules; nothing was sent.
	ErrInvalidSourceIdentity = errors.New("invalid source identity")
	// ErrNoSourceIdentity: STS handed out a session without a source identity; it is discarded.
	ErrNoSourceIdentity = errors.New("session has no source identity")
)

// Source identity limits from the STS API (sourceIdentityType).
const (
	MinSourceIdentity = 2
	MaxSourceIdentity = 64
)

// ValidateSourceIdentity reports whether STS accepts v as a source identity: 2 to 64
// characters of [\w+=,.@-] ([A-Za-z0-9_+=,.@-]), not beginning with "aws:".
func ValidateSourceIdentity(v string) error {
	if n := len(v); n < MinSourceIdentity || n > MaxSourceIdentity {
		return fmt.Errorf("%w %q: %d characters; STS wants %d to %d", ErrInvalidSourceIdentity, v, len(v), MinSourceIdentity, MaxSourceIdentity)
	}
	for i := 0; i < len(v); i++ {
		if !sourceIdentityByte(v[i]) {
			return fmt.Errorf("%w %q: character %q at %d; STS allows letters, digits and _+=,.@-", ErrInvalidSourceIdentity, v, rune(v[i]), i+1)
		}
	}
	if strings.HasPrefix(strings.ToLower(v), "aws:") { // unreachable today (':' is refused), kept for the rule
		return fmt.Errorf("%w %q: the prefix aws: is reserved", ErrInvalidSourceIdentity, v)
	}
	return nil
}

func sourceIdentityByte(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("_+=,.@-", b) >= 0
}

// Kind is what sort of principal a caller ARN names.
type Kind string

const (
	KindUser          Kind = "user"           // arn:aws:iam::111122223333:user/path/name
	KindRoleSession   Kind = "role-session"   // arn:aws:sts::111122223333:assumed-role/role/session
	KindRoot          Kind = "root"           // arn:aws:iam::111122223333:root
	KindFederatedUser Kind = "federated-user" // arn:aws:sts::111122223333:federated-user/name
)

// Caller is the principal GetCallerIdentity names.
type Caller struct {
	ARN     string
	Kind    Kind
	Account string
	Name    string // user name (without path), session name or federated user name
	Role    string // role name, for a role session
}

// ParseCallerARN reads the ARN that GetCallerIdentity returns.
func ParseCallerARN(arn string) (Caller, error) {
	c := Caller{ARN: arn}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" {
		return c, fmt.Errorf("caller ARN %q: not an ARN", arn)
	}
	service, account, resource := parts[2], parts[4], parts[5]
	c.Account = account
	switch {
	case service == "iam" && resource == "root":
		c.Kind = KindRoot
	case service == "iam" && strings.HasPrefix(resource, "user/"):
		segs := strings.Split(resource, "/")
		c.Kind, c.Name = KindUser, segs[len(segs)-1]
	case service == "sts" && strings.HasPrefix(resource, "assumed-role/"):
		segs := strings.Split(resource, "/")
		if len(segs) != 3 || segs[1] == "" || segs[2] == "" {
			return c, fmt.Errorf("caller ARN %q: want assumed-role/ROLE/SESSION", arn)
		}
		c.Kind, c.Role, c.Name = KindRoleSession, segs[1], segs[2]
	case service == "sts" && strings.HasPrefix(resource, "federated-user/"):
		c.Kind, c.Name = KindFederatedUser, strings.TrimPrefix(resource, "federated-user/")
	case service == "sts" && strings.HasPrefix(resource, "user/"): // moto's default identity
		segs := strings.Split(resource, "/")
		c.Kind, c.Name = KindUser, segs[len(segs)-1]
	default:
		return c, fmt.Errorf("caller ARN %q: neither an IAM user nor a role session", arn)
	}
	if c.Kind != KindRoot && c.Name == "" {
		return c, fmt.Errorf("caller ARN %q: no name", arn)
	}
	return c, nil
}

// DefaultSourceIdentity is the value step 4 of the package doc derives from the caller.
func DefaultSourceIdentity(c Caller) (string, error) {
	switch c.Kind {
	case KindUser, KindRoleSession:
		if err := ValidateSourceIdentity(c.Name); err != nil {
			return "", fmt.Errorf("the %s name of %s: %w", c.Kind, c.ARN, err)
		}
		return c.Name, nil
	case KindRoot:
		return "", fmt.Errorf("%s is the account's root user, which cannot assume roles: use an IAM user or a role session", c.ARN)
	case KindFederatedUser:
		return "", fmt.Errorf("%s is an STS federated-user session, which cannot call AssumeRole: use an IAM user or a role session", c.ARN)
	}
	return "", fmt.Errorf("caller %s: unknown kind", c.ARN)
}

// Credentials are temporary credentials for the assumed role.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
	// SourceIdentity is the SI the session carries: the one STS reports, else the one sent.
	SourceIdentity string
	// Issued is when the helper got them (for the cache's refresh margin).
	Issued time.Time
}

// String never shows the secret key or the token.
func (c Credentials) String() string {
	return fmt.Sprintf("credentials %s (source identity %q, expires %s)", c.AccessKeyID, c.SourceIdentity, c.Expiration.UTC().Format(time.RFC3339))
}

// processJSON is the credential_process output format (Version 1).
type processJSON struct {
	Version         int    `json:"Version"`
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	SessionToken    string `json:"SessionToken"`
	Expiration      string `json:"Expiration"`
}

// ProcessJSON renders c as the JSON a credential_process prints, with a trailing newline.
func (c Credentials) ProcessJSON() ([]byte, error) {
	if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" || c.Expiration.IsZero() {
		return nil, errors.New("process credentials: incomplete credentials")
	}
	b, err := json.Marshal(processJSON{1, c.AccessKeyID, c.SecretAccessKey, c.SessionToken, c.Expiration.UTC().Format(time.RFC3339)})
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// AssumeInput is one AssumeRole request.
type AssumeInput struct {
	RoleARN        string
	SessionName    string
	SourceIdentity string // "" sends none (the session's own SI passes on)
	ExternalID     string
	Duration       time.Duration // 0: STS's default (one hour)
}

// STS is what the helper needs from STS. Errors should wrap ErrNoBaseCredentials,
// ErrRoleNotAssumable or ErrSourceIdentityRefused where they apply.
type STS interface {
	CallerIdentity(ctx context.Context) (arn string, err error)
	AssumeRole(ctx context.Context, in AssumeInput) (Credentials, error)
}

// Request is what the command line asks for.
type Request struct {
	RoleARN        string
	SourceIdentity string // explicit value; "" derives one
	Keep           bool   // --keep-source-identity
	SessionName    string // "" uses the source identity
	ExternalID     string
	Duration       time.Duration
	// KnownSourceIdentity is the SI the base session is known to carry (from the cache: it
	// is a session this helper made); "" when not known.
	KnownSourceIdentity string
}

// Choice is the source identity to send and where it comes from.
type Choice struct {
	Value  string // "" with Keep
	Keep   bool
	Origin string // "flag", "keep", "base session", "user name", "session name"
	Caller Caller // zero unless GetCallerIdentity was called
}

// Choose picks the source identity (package doc, "Which value"). It calls GetCallerIdentity
// only when the value has to be derived.
func Choose(ctx context.Context, sts STS, req Request) (Choice, error) {
	switch {
	case req.SourceIdentity != "" && req.Keep:
		return Choice{}, errors.New("--source-identity and --keep-source-identity exclude each other")
	case req.SourceIdentity != "":
		if err := ValidateSourceIdentity(req.SourceIdentity); err != nil {
			return Choice{}, err
		}
		return Choice{Value: req.SourceIdentity, Origin: "flag"}, nil
	case req.Keep:
		return Choice{Keep: true, Origin: "keep"}, nil
	case req.KnownSourceIdentity != "":
		if err := ValidateSourceIdentity(req.KnownSourceIdentity); err == nil {
			return Choice{Value: req.KnownSourceIdentity, Origin: "base session"}, nil
		}
	}
	arn, err := sts.CallerIdentity(ctx)
	if err != nil {
		return Choice{}, err
	}
	caller, err := ParseCallerARN(arn)
	if err != nil {
		return Choice{}, err
	}
	v, err := DefaultSourceIdentity(caller)
	if err != nil {
		return Choice{Caller: caller}, err
	}
	origin := "user name"
	if caller.Kind == KindRoleSession {
		origin = "session name"
	}
	return Choice{Value: v, Origin: origin, Caller: caller}, nil
}

// Assume makes the AssumeRole call for ch and checks the session it returns carries a source
// identity (the one sent, when STS names one).
func Assume(ctx context.Context, sts STS, req Request, ch Choice) (Credentials, error) {
	in := AssumeInput{RoleARN: req.RoleARN, SessionName: req.SessionName, ExternalID: req.ExternalID, Duration: req.Duration}
	if !ch.Keep {
		in.SourceIdentity = ch.Value
	}
	if in.SessionName == "" {
		in.SessionName = ch.Value
		if in.SessionName == "" {
			in.SessionName = "sidguard"
		}
	}
	cr, err := sts.AssumeRole(ctx, in)
	if err != nil {
		if errors.Is(err, ErrSourceIdentityRefused) && in.SourceIdentity != "" {
			err = fmt.Errorf("sent %q (%s): %w", in.SourceIdentity, ch.Origin, err)
		}
		return Credentials{}, err
	}
	switch {
	case ch.Keep && cr.SourceIdentity == "":
		return Credentials{}, fmt.Errorf("assume %s: %w: STS names no source identity for the new session (the base session carries none)", req.RoleARN, ErrNoSourceIdentity)
	case !ch.Keep && cr.SourceIdentity != "" && cr.SourceIdentity != ch.Value:
		return Credentials{}, fmt.Errorf("assume %s: %w: sent %q, STS reports %q", req.RoleARN, ErrSourceIdentityRefused, ch.Value, cr.SourceIdentity)
	case !ch.Keep && cr.SourceIdentity == "":
		cr.SourceIdentity = ch.Value // STS does not echo it everywhere (emulators); it was sent and accepted
	}
	return cr, nil
}

// Advice is the one line that tells the person what to do about err.
func Advice(err error, req Request, profile string) string {
	from := "the default credential chain"
	if profile != "" {
		from = fmt.Sprintf("profile %q", profile)
	}
	switch {
	case errors.Is(err, ErrNoBaseCredentials):
		return fmt.Sprintf("no usable base credentials from %s: %s; configure them (aws configure, aws sso login) or name the profile that has them with --source-profile", from, detail(err, ErrNoBaseCredentials))
	case errors.Is(err, ErrInvalidSourceIdentity):
		return oneLine(err) + "; pass a valid value with --source-identity"
	case errors.Is(err, ErrSourceIdentityRefused):
		return fmt.Sprintf("STS refused the source identity for %s: %s; your identity policy must allow sts:SetSourceIdentity with this value (sidguard caller-policy --role-arn %s prints one) and the role's trust policy must allow sts:SetSourceIdentity; a session that already carries a source identity keeps it: pass that value with --source-identity, or --keep-source-identity", req.RoleARN, detail(err, ErrSourceIdentityRefused), req.RoleARN)
	case errors.Is(err, ErrNoSourceIdentity):
		return oneLine(err) + "; drop --keep-source-identity so that a source identity is set"
	case errors.Is(err, ErrRoleNotAssumable):
		return fmt.Sprintf("cannot assume %s: %s; check the role ARN, that your identity policy allows sts:AssumeRole on it (sidguard caller-policy) and that its trust policy names your principal", req.RoleARN, detail(err, ErrRoleNotAssumable))
	}
	return oneLine(err)
}

// detail is err's text on one line without the sentinel's own words, which the advice says.
func detail(err, sentinel error) string {
	s := oneLine(err)
	s = strings.ReplaceAll(s, sentinel.Error()+": ", "")
	return strings.ReplaceAll(s, "retrieve base credentials: ", "")
}

// oneLine joins a multi-line error text into one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
