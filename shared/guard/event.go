package guard

import (
	"encoding/json"

	"github.com/source-identity-guard/source-identity-guard/shared/iamrole"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// The decision event every publishing decision sends to the findings bus.
const (
	EventSource     = "source-identity-guard"
	EventDetailType = "Trust Policy Decision"
)

// DecisionEvent is the detail of a "Trust Policy Decision" event. The enforce and sweep
// functions both publish it.
type DecisionEvent struct {
	RoleARN  string   `json:"roleArn"`
	RoleName string   `json:"roleName"`
	Account  string   `json:"account"`
	Decision Decision `json:"decision"`
	Reason   string   `json:"reason"`
	Mode     Mode     `json:"mode"`
	// ModeSource is "tag" when a protected role tag set the mode or the exemption, else "stack".
	ModeSource string `json:"modeSource"`
	// ExemptBy is the kind of exemption of an exempt decision (see Verdict.ExemptBy).
	ExemptBy string                `json:"exemptBy,omitempty"`
	Findings []trustpolicy.Finding `json:"findings"`
	// PolicyBefore and PolicyAfter are the trust policy as read and as written (or as it would
	// be written in audit mode), embedded as JSON; a document that is not valid JSON is embedded
	// as a JSON string. PolicyAfter is absent when nothing was or would be written.
	PolicyBefore json.RawMessage `json:"policyBefore,omitempty"`
	PolicyAfter  json.RawMessage `json:"policyAfter,omitempty"`
	// Trigger is the CloudTrail event that made the enforce function look at the role; nil for
	// a sweep.
	Trigger *Trigger `json:"trigger,omitempty"`
}

// Trigger identifies the event a decision answers.
type Trigger struct {
	EventID   string `json:"eventId"`   // CloudTrail eventID
	EventName string `json:"eventName"` // CreateRole, UpdateAssumeRolePolicy, TagRole or UntagRole
	EventTime string `json:"eventTime,omitempty"`
	Actor     string `json:"actor"` // who made the call, one line
	ActorARN  string `json:"actorArn,omitempty"`
	// SourceIdentity is the source identity of the session that made the call, if any.
	SourceIdentity string `json:"sourceIdentity,omitempty"`
}

// NewDecisionEvent builds the event for role r in account, judged v (after any write: pass the
// final decision and reason), triggered by t (nil for a sweep).
func NewDecisionEvent(r iamrole.Role, account string, v Verdict, t *Trigger) DecisionEvent {
	findings := v.Findings
	if findings == nil {
		findings = []trustpolicy.Finding{}
	}
	return DecisionEvent{
		RoleARN:      r.ARN,
		RoleName:     r.Name,
		Account:      account,
		Decision:     v.Decision,
		Reason:       v.Reason,
		Mode:         v.Mode,
		ModeSource:   first(v.ModeSource, ModeSourceStack),
		ExemptBy:     v.ExemptBy,
		Findings:     findings,
		PolicyBefore: embedJSON(v.Before),
		PolicyAfter:  embedJSON(v.After),
		Trigger:      t,
	}
}

// embedJSON returns b when it is valid JSON, else b as a JSON string; nil for empty b.
func embedJSON(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	if json.Valid(b) {
		return json.RawMessage(b)
	}
	s, _ := json.Marshal(string(b)) // a string always encodes
	return s
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
