package readiness

import "time"

// Record is a role's evidence as `sidguard readiness --format json` prints it (one JSON
// object per line) and as the live ledger answers: the shared readiness contract (role,
// account, assumptions, withoutSourceIdentity, callersWithoutSourceIdentity, consoleSessions,
// ready, windowStart, windowEnd, callers).
type Record struct {
	Role                         string         `json:"role"` // the role's ARN; its path is lost when only seen via assumed-role ARNs (pathKnown false)
	Account                      string         `json:"account"`
	Assumptions                  int            `json:"assumptions"`
	WithoutSourceIdentity        int            `json:"withoutSourceIdentity"`
	CallersWithoutSourceIdentity []string       `json:"callersWithoutSourceIdentity"`
	ConsoleSessions              int            `json:"consoleSessions"`
	ConsoleUsed                  bool           `json:"consoleUsed"`
	Ready                        bool           `json:"ready"`
	Reason                       string         `json:"reason"`
	PathKnown                    bool           `json:"pathKnown"`
	WindowStart                  string         `json:"windowStart"`
	WindowEnd                    string         `json:"windowEnd"`
	Callers                      []CallerRecord `json:"callers"`
}

// CallerRecord is one caller of a role in a Record.
type CallerRecord struct {
	Principal             string `json:"principal"`
	Type                  string `json:"type"`
	PrincipalID           string `json:"principalId,omitempty"` // AWSAccount callers: the unique id logged
	Assumptions           int    `json:"assumptions"`
	WithoutSourceIdentity int    `json:"withoutSourceIdentity"`
	ConsoleSessions       int    `json:"consoleSessions"`
	FirstSeen             string `json:"firstSeen"`
	LastSeen              string `json:"lastSeen"`
	UserAgent             string `json:"userAgent"`
	Client                string `json:"client"`
	Console               bool   `json:"console"`
	Action                string `json:"action,omitempty"` // set when the caller blocks the role
}

// ToRecord renders evidence as the contract's record.
func ToRecord(ev RoleEvidence) Record {
	r := Record{
		Role:                         ev.Role.ARN,
		Account:                      ev.Role.Account,
		Assumptions:                  ev.Assumptions,
		WithoutSourceIdentity:        ev.WithoutSourceIdentity,
		CallersWithoutSourceIdentity: ev.CallersWithoutSourceIdentity,
		ConsoleSessions:              ev.ConsoleSessions,
		ConsoleUsed:                  ev.ConsoleUsed,
		Ready:                        ev.Ready,
		Reason:                       Reason(ev),
		PathKnown:                    ev.Role.PathKnown,
		WindowStart:                  ev.Window.Start.UTC().Format(time.RFC3339),
		WindowEnd:                    ev.Window.End.UTC().Format(time.RFC3339),
		Callers:                      []CallerRecord{},
	}
	if r.CallersWithoutSourceIdentity == nil {
		r.CallersWithoutSourceIdentity = []string{}
	}
	for _, c := range ev.Callers {
		r.Callers = append(r.Callers, CallerRecord{
			Principal:             c.Principal,
			Type:                  c.Type,
			PrincipalID:           c.PrincipalID,
			Assumptions:           c.Assumptions,
			WithoutSourceIdentity: c.WithoutSourceIdentity,
			ConsoleSessions:       c.ConsoleSessions,
			FirstSeen:             c.FirstSeen.UTC().Format(time.RFC3339),
			LastSeen:              c.LastSeen.UTC().Format(time.RFC3339),
			UserAgent:             c.UserAgent,
			Client:                c.Client,
			Console:               c.Console,
			Action:                Action(c),
		})
	}
	return r
}
