package htmlreport

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// ErrUnusable is wrapped by every error Decode returns: the input is not what `sidguard scan
// --format json` or `sidguard readiness --format json` prints. The text names the input and line.
var ErrUnusable = errors.New("unusable report input")

// Decision values of a scan record (shared/guard's Decision; repeated here because this package
// links no AWS SDK, and guard does through iamrole; a test reads guard's source and fails on a
// decision this list lacks).
const (
	DecisionCompliant  = "compliant"
	DecisionPatched    = "patched"
	DecisionWouldPatch = "would-patch"
	DecisionExempt     = "exempt"
	DecisionSkipped    = "skipped"
	DecisionUnfixable  = "unfixable"
	DecisionFailed     = "failed"
	// DecisionTampered: one of the guard's own roles has a trust policy other than the one its
	// stack gives it (the guard restores it outside audit). Coming with the bypass work on
	// shared/guard; counted as open.
	DecisionTampered = "tampered"
	// DecisionConflict: the guard already rewrote the role's trust policy IacFightThreshold
	// times in 24 h (CloudFormation or Terraform re-applying an open policy) and left it open;
	// counted as open.
	DecisionConflict = "conflict"
	// DecisionReady and DecisionPromoted come from the Promote function, not from a scan: a role
	// in allow whose evidence is clean (ready), or whose promotion to require was recorded
	// (promoted; the guard writes the condition on its next event or sweep). Both count as
	// allowing until a record shows the role requiring.
	DecisionReady    = "ready"
	DecisionPromoted = "promoted"
)

// Decisions lists every decision, in the order the report shows them.
var Decisions = []string{DecisionCompliant, DecisionPatched, DecisionWouldPatch, DecisionExempt,
	DecisionSkipped, DecisionUnfixable, DecisionFailed, DecisionTampered, DecisionConflict, DecisionReady, DecisionPromoted}

// Modes a scan record may carry (guard.Mode).
const (
	ModeAudit   = "audit"
	ModeAllow   = "allow"
	ModeRequire = "require"
)

// ReasonRequires is the reason guard.Policy.Decide gives a role compliant under require, whatever
// the mode it was judged in (Decide checks require first). A compliant record in mode allow
// requires a source identity only with this reason; a test checks it against guard.
const ReasonRequires = "trust policy requires a source identity"

// ScanRecord is one line of `sidguard scan --format json`. Unknown fields are ignored.
type ScanRecord struct {
	Role     string                `json:"role"`
	ARN      string                `json:"arn"`
	Path     string                `json:"path"`
	Account  string                `json:"account"` // absent before `scan --org`: see AccountOf
	Decision string                `json:"decision"`
	Reason   string                `json:"reason"`
	Mode     string                `json:"mode"`
	Findings []trustpolicy.Finding `json:"findings"`
	Error    string                `json:"error"`
}

// ReadinessRecord is one line of `sidguard readiness --format json`. Unknown fields are ignored.
type ReadinessRecord struct {
	Role                         string   `json:"role"` // role ARN
	Account                      string   `json:"account"`
	Assumptions                  int      `json:"assumptions"`
	WithoutSourceIdentity        int      `json:"withoutSourceIdentity"`
	CallersWithoutSourceIdentity []string `json:"callersWithoutSourceIdentity"`
	ConsoleSessions              int      `json:"consoleSessions"`
	Ready                        bool     `json:"ready"`
	WindowStart                  string   `json:"windowStart"`
	WindowEnd                    string   `json:"windowEnd"`
	Callers                      []Caller `json:"callers"`
}

// Caller is one principal that assumed a role in the readiness window.
type Caller struct {
	Principal             string `json:"principal"`
	Assumptions           int    `json:"assumptions"`
	WithoutSourceIdentity int    `json:"withoutSourceIdentity"`
	FirstSeen             string `json:"firstSeen"`
	LastSeen              string `json:"lastSeen"`
	UserAgent             string `json:"userAgent"`
	Client                string `json:"client"`
	Console               bool   `json:"console"`
	Action                string `json:"action"`
}

// Input is one decoded input file.
type Input struct {
	Name      string // as given on the command line
	SHA256    string // hex digest of the bytes read
	Scan      []ScanRecord
	Readiness []ReadinessRecord
}

// MaxLine is the longest record Decode accepts (a role with many findings stays far below).
const MaxLine = 4 << 20

var accountID = regexp.MustCompile(`^[0-9]{12}$`)

// Decode reads one JSON Lines input. Each non-blank line is a scan record (it has "decision")
// or a readiness record (it has "assumptions" and "ready"); the kinds may be mixed. Every error
// wraps ErrUnusable and names the input and line: a line that is not a JSON object, has
// neither or both kinds' fields, a decision or mode the guard does not produce, a record
// without its role, an account that is not 12 digits, bad counts or times, or no record at all.
func Decode(name string, r io.Reader) (Input, error) {
	in := Input{Name: name}
	h := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(r, h), 64<<10)
	for n := 1; ; n++ {
		line, err := readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			return Input{}, fmt.Errorf("%w: %s line %d: %v", ErrUnusable, name, n, err)
		}
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark (some Windows tools write one)
		}
		if t := bytes.TrimSpace(line); len(t) > 0 {
			if derr := in.add(t); derr != nil {
				return Input{}, fmt.Errorf("%w: %s line %d: %v", ErrUnusable, name, n, derr)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if len(in.Scan)+len(in.Readiness) == 0 {
		return Input{}, fmt.Errorf("%w: %s: no records (want the output of sidguard scan --format json or sidguard readiness --format json)", ErrUnusable, name)
	}
	in.SHA256 = hex.EncodeToString(h.Sum(nil))
	return in, nil
}

func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > MaxLine {
			return nil, fmt.Errorf("record longer than %d bytes", MaxLine)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return line, err
	}
}

// record is both kinds at once, so that one json.Unmarshal both reads a line and tells its
// kind (the pointers are nil when a field is absent).
type record struct {
	Role     string                `json:"role"`
	Account  string                `json:"account"`
	ARN      string                `json:"arn"`
	Path     string                `json:"path"`
	Decision *string               `json:"decision"`
	Reason   string                `json:"reason"`
	Mode     string                `json:"mode"`
	Findings []trustpolicy.Finding `json:"findings"`
	Error    string                `json:"error"`

	Assumptions                  *int     `json:"assumptions"`
	Ready                        *bool    `json:"ready"`
	WithoutSourceIdentity        int      `json:"withoutSourceIdentity"`
	CallersWithoutSourceIdentity []string `json:"callersWithoutSourceIdentity"`
	ConsoleSessions              int      `json:"consoleSessions"`
	WindowStart                  string   `json:"windowStart"`
	WindowEnd                    string   `json:"windowEnd"`
	Callers                      []Caller `json:"callers"`
}

func (in *Input) add(line []byte) error {
	if line[0] != '{' {
		return errors.New("not a JSON object")
	}
	var r record
	if err := json.Unmarshal(line, &r); err != nil {
		return fmt.Errorf("not a JSON object of a scan or readiness record: %v", err)
	}
	isReadiness := r.Assumptions != nil && r.Ready != nil
	switch {
	case r.Decision != nil && isReadiness:
		return errors.New(`record has both "decision" (scan) and "assumptions"/"ready" (readiness)`)
	case r.Decision != nil:
		rec := ScanRecord{Role: r.Role, ARN: r.ARN, Path: r.Path, Account: r.Account, Decision: *r.Decision,
			Reason: r.Reason, Mode: r.Mode, Findings: r.Findings, Error: r.Error}
		if err := rec.validate(); err != nil {
			return fmt.Errorf("scan record %s: %v", rec.label(), err)
		}
		in.Scan = append(in.Scan, rec)
	case isReadiness:
		rec := ReadinessRecord{Role: r.Role, Account: r.Account, Assumptions: *r.Assumptions, WithoutSourceIdentity: r.WithoutSourceIdentity,
			CallersWithoutSourceIdentity: r.CallersWithoutSourceIdentity, ConsoleSessions: r.ConsoleSessions, Ready: *r.Ready,
			WindowStart: r.WindowStart, WindowEnd: r.WindowEnd, Callers: r.Callers}
		if err := rec.validate(); err != nil {
			return fmt.Errorf("readiness record %q: %v", rec.Role, err)
		}
		in.Readiness = append(in.Readiness, rec)
	default:
		return errors.New(`neither a scan record (field "decision") nor a readiness record (fields "assumptions" and "ready")`)
	}
	return nil
}

func (r ScanRecord) label() string {
	if r.ARN != "" {
		return fmt.Sprintf("%q", r.ARN)
	}
	return fmt.Sprintf("%q", r.Role)
}

func (r ScanRecord) validate() error {
	if r.Role == "" && r.ARN == "" {
		return errors.New(`no "role" or "arn"`)
	}
	if !validDecision(r.Decision) {
		return fmt.Errorf("decision %q: want one of %s", r.Decision, strings.Join(Decisions, ", "))
	}
	switch r.Mode {
	case ModeAudit, ModeAllow, ModeRequire:
	default:
		return fmt.Errorf("mode %q: want audit, allow or require", r.Mode)
	}
	if r.Account != "" && !accountID.MatchString(r.Account) {
		return fmt.Errorf("account %q: want 12 digits", r.Account)
	}
	if r.Decision == DecisionPatched && r.Mode == ModeAudit {
		return errors.New("decision patched in mode audit: the guard never writes in audit")
	}
	return nil
}

func validDecision(d string) bool {
	for _, x := range Decisions {
		if d == x {
			return true
		}
	}
	return false
}

func (r ReadinessRecord) validate() error {
	if r.Role == "" {
		return errors.New(`no "role"`)
	}
	if r.Account != "" && !accountID.MatchString(r.Account) {
		return fmt.Errorf("account %q: want 12 digits", r.Account)
	}
	if r.Assumptions < 0 || r.WithoutSourceIdentity < 0 || r.WithoutSourceIdentity > r.Assumptions || r.ConsoleSessions < 0 {
		return fmt.Errorf("counts assumptions=%d withoutSourceIdentity=%d consoleSessions=%d: want 0 <= withoutSourceIdentity <= assumptions",
			r.Assumptions, r.WithoutSourceIdentity, r.ConsoleSessions)
	}
	for _, t := range []struct{ name, v string }{{"windowStart", r.WindowStart}, {"windowEnd", r.WindowEnd}} {
		if t.v == "" {
			continue
		}
		if _, err := time.Parse(time.RFC3339, t.v); err != nil {
			return fmt.Errorf("%s %q: want an RFC 3339 time", t.name, t.v)
		}
	}
	for _, c := range r.Callers {
		if c.Principal == "" {
			return errors.New(`a caller without "principal"`)
		}
		if c.LastSeen != "" {
			if _, err := time.Parse(time.RFC3339, c.LastSeen); err != nil {
				return fmt.Errorf("caller %q lastSeen %q: want an RFC 3339 time", c.Principal, c.LastSeen)
			}
		}
	}
	return nil
}

// AccountOf is the account a scan record belongs to: its "account" field, else the account
// in its role ARN (arn:PARTITION:iam::ACCOUNT:role/...: the account that owns the role), else ""
// (the report shows "this account (unknown id)").
func AccountOf(r ScanRecord) string {
	if r.Account != "" {
		return r.Account
	}
	return arnAccount(r.ARN)
}

// ReadinessAccountOf is the account of a readiness record: its "account" field, else the
// account in its role ARN, else "".
func ReadinessAccountOf(r ReadinessRecord) string {
	if r.Account != "" {
		return r.Account
	}
	return arnAccount(r.Role)
}

func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" && parts[2] == "iam" && accountID.MatchString(parts[4]) {
		return parts[4]
	}
	return ""
}
