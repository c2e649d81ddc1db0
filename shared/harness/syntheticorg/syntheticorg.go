// Package syntheticorg writes the JSON Lines of an invented organization, as `sidguard scan
// --org --format json` and `sidguard readiness --format json` would print them, for the HTML
// report's benchmark and screenshots. It is deterministic for a seed.
package syntheticorg

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"time"
)

// Mix is the share of roles in each state (the rest are compliant in require); each account
// draws its own shares around these, so that the accounts differ.
type Mix struct {
	Open, Allowing, Exempt, Skipped float64
}

// MidRollout is an organization halfway from audit to require.
var MidRollout = Mix{Open: 0.10, Allowing: 0.15, Exempt: 0.05, Skipped: 0.005}

// AllOpen is the first audit of an organization: every role not exempt is open.
var AllOpen = Mix{Open: 0.95, Exempt: 0.05}

// Spec says what to write.
type Spec struct {
	Accounts, RolesPerAccount int
	Mix                       Mix
	ReadinessPerAccount       int // readiness records per account (0: none)
	Seed                      uint64
}

type finding struct {
	Code       string   `json:"code"`
	Statement  int      `json:"statement"`
	SID        string   `json:"sid,omitempty"`
	Principals []string `json:"principals,omitempty"`
	Message    string   `json:"message"`
	Fixed      bool     `json:"fixed,omitempty"`
}

type scanRecord struct {
	Account  string    `json:"account"`
	Role     string    `json:"role"`
	ARN      string    `json:"arn"`
	Path     string    `json:"path"`
	Decision string    `json:"decision"`
	Reason   string    `json:"reason"`
	Mode     string    `json:"mode"`
	Findings []finding `json:"findings"`
	Error    string    `json:"error,omitempty"`
}

type caller struct {
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

type readinessRecord struct {
	Role                         string   `json:"role"`
	Account                      string   `json:"account"`
	Assumptions                  int      `json:"assumptions"`
	WithoutSourceIdentity        int      `json:"withoutSourceIdentity"`
	CallersWithoutSourceIdentity []string `json:"callersWithoutSourceIdentity"`
	ConsoleSessions              int      `json:"consoleSessions"`
	Ready                        bool     `json:"ready"`
	WindowStart                  string   `json:"windowStart"`
	WindowEnd                    string   `json:"windowEnd"`
	Callers                      []caller `json:"callers"`
}

var names = []string{"app-deployer", "orders-api", "batch-worker", "ci-deploy", "data-pipeline", "analytics-reader",
	"payments-service", "billing-export", "support-readonly", "terraform-apply", "backup-operator", "log-shipper",
	"search-indexer", "ml-training", "vendor-audit", "break-glass-admin"}

var paths = []string{"/", "/", "/", "/service/", "/team/platform/", "/ci/"}

// Write writes the scan records to scan and, when spec.ReadinessPerAccount > 0, the readiness
// records to readiness. It returns the numbers of records written.
func Write(spec Spec, scan, readiness io.Writer) (scanN, readyN int, err error) {
	rng := rand.New(rand.NewPCG(spec.Seed, 0x5eed))
	sw := bufio.NewWriter(scan)
	enc := json.NewEncoder(sw)
	enc.SetEscapeHTML(false)
	var rw *bufio.Writer
	var renc *json.Encoder
	if readiness != nil && spec.ReadinessPerAccount > 0 {
		rw = bufio.NewWriter(readiness)
		renc = json.NewEncoder(rw)
		renc.SetEscapeHTML(false)
	}
	start := time.Date(2026, 11, 17, 0, 0, 0, 0, time.UTC)
	end := start.Add(14 * 24 * time.Hour)
	for a := 0; a < spec.Accounts; a++ {
		acct := fmt.Sprintf("%012d", 100000000000+uint64(a)*7919)
		// Each account's shares vary from 0 to twice the mix.
		vary := func(p float64) float64 { return p * 2 * rng.Float64() }
		open, allow, exempt, skipped := vary(spec.Mix.Open), vary(spec.Mix.Allowing), vary(spec.Mix.Exempt), vary(spec.Mix.Skipped)
		for r := 0; r < spec.RolesPerAccount; r++ {
			name := fmt.Sprintf("%s-%03d", names[rng.IntN(len(names))], r)
			path := paths[rng.IntN(len(paths))]
			rec := scanRecord{Account: acct, Role: name, Path: path, ARN: "arn:aws:iam::" + acct + ":role" + path + name,
				Mode: "audit", Findings: []finding{}}
			other := fmt.Sprintf("arn:aws:iam::%012d:role/ci-runner", 200000000000+rng.IntN(50))
			x := rng.Float64()
			switch {
			case x < open:
				switch y := rng.Float64(); {
				case y < 0.80:
					rec.Decision, rec.Reason = "would-patch", "audit: trust policy would be patched to require a source identity"
					rec.Findings = append(rec.Findings, finding{Code: "missing-source-identity-condition", Statement: 0, SID: "TrustCi",
						Principals: []string{"AWS:" + other}, Message: fmt.Sprintf(`statement 0 (Sid "TrustCi") lets %s assume the role without a source identity`, other), Fixed: true})
					if y < 0.5 {
						rec.Findings = append([]finding{{Code: "missing-set-source-identity", Statement: 0, SID: "TrustCi",
							Principals: []string{"AWS:" + other}, Message: fmt.Sprintf(`statement 0 (Sid "TrustCi") does not allow sts:SetSourceIdentity for %s, so it cannot pass a source identity`, other), Fixed: true}}, rec.Findings...)
					}
				case y < 0.93:
					rec.Decision, rec.Reason = "unfixable", "needs a person: deny-conflict"
					rec.Findings = append(rec.Findings, finding{Code: "deny-conflict", Statement: 0, Principals: []string{"AWS:arn:aws:iam::" + acct + ":root"},
						Message: "statement 0 left as is: Deny statement 1 blocks sts:SetSourceIdentity for the account " + acct + ", so requiring a source identity would lock it out"})
				case y < 0.97:
					rec.Decision, rec.Reason = "unfixable", "needs a person: wildcard-principal"
					rec.Findings = append(rec.Findings, finding{Code: "wildcard-principal", Statement: 0, Principals: []string{"*"},
						Message: `statement 0 lets anyone ("Principal": "*", AWS services included) assume the role without a source identity; needs a person: name the principals, or use {"AWS": "*"} with conditions`})
				default:
					rec.Decision, rec.Reason = "failed", "AccessDenied"
					rec.Error = fmt.Sprintf("list role tags of %q: AccessDenied: not authorized to perform iam:ListRoleTags", name)
				}
			case x < open+allow:
				rec.Mode, rec.Decision, rec.Reason = "allow", "compliant", "trust policy allows a source identity (mode allow)"
			case x < open+allow+exempt:
				rec.Decision, rec.Reason = "exempt", "AWS Control Tower role"
			case x < open+allow+exempt+skipped:
				rec.Decision, rec.Reason = "skipped", "role deleted during the sweep"
			default:
				rec.Decision, rec.Reason = "compliant", "trust policy requires a source identity"
			}
			if err := enc.Encode(rec); err != nil {
				return scanN, readyN, err
			}
			scanN++
		}
		if renc == nil {
			continue
		}
		for r := 0; r < spec.ReadinessPerAccount; r++ {
			role := fmt.Sprintf("arn:aws:iam::%s:role/%s-%03d", acct, names[rng.IntN(len(names))], r)
			n := 1 + rng.IntN(200)
			rec := readinessRecord{Role: role, Account: acct, Assumptions: n, CallersWithoutSourceIdentity: []string{},
				WindowStart: start.Format(time.RFC3339), WindowEnd: end.Format(time.RFC3339), Ready: true}
			last := end.Add(-time.Duration(rng.IntN(300)) * time.Hour)
			c := caller{Principal: "arn:aws:iam::" + acct + ":role/deploy-pipeline", Assumptions: n, FirstSeen: start.Format(time.RFC3339),
				LastSeen: last.Format(time.RFC3339), UserAgent: "aws-sdk-go-v2/1.30.0", Client: "aws-sdk-go-v2"}
			if rng.Float64() < 0.4 {
				rec.Ready = false
				c.WithoutSourceIdentity = 1 + rng.IntN(n)
				if rng.Float64() < 0.3 {
					c.Principal = "arn:aws:sts::" + acct + ":assumed-role/AWSReservedSSO_Admin_0a1b/alice@example.com"
					c.Client, c.Console, c.UserAgent = "console", true, "AWS Internal"
					c.Action = "console role switching cannot set a source identity: keep this role in allow, or sign in through an identity provider that sets one"
					rec.ConsoleSessions = c.WithoutSourceIdentity
				} else {
					c.Client, c.UserAgent = "aws-cli", "aws-cli/2.15.0 Python/3.11.6"
					c.Action = "pass --source-identity (aws sts assume-role --source-identity NAME) or use sidguard credentials"
				}
				rec.WithoutSourceIdentity = c.WithoutSourceIdentity
				rec.CallersWithoutSourceIdentity = []string{c.Principal}
			}
			rec.Callers = []caller{c}
			if err := renc.Encode(rec); err != nil {
				return scanN, readyN, err
			}
			readyN++
		}
	}
	if err := sw.Flush(); err != nil {
		return scanN, readyN, err
	}
	if rw != nil {
		if err := rw.Flush(); err != nil {
			return scanN, readyN, err
		}
	}
	return scanN, readyN, nil
}
