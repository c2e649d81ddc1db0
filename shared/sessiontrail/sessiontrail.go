// Package sessiontrail answers "what did this person do through roles": it picks, from
// CloudTrail records, those made by a session that carries a given STS source identity, and
// the role assumptions that gave a session that source identity.
//
// It is pure (no AWS SDK). The rule, from the IAM guide ("Monitor and control actions taken
// with assumed roles",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html,
// and the CloudTrail examples on
// https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-integration.html):
//
//   - every call made with a role session that has a source identity carries it in
//     userIdentity.sessionContext.sourceIdentity, in whatever account the call lands, and a
//     session created from such a session (role chaining) inherits it (STS refuses a
//     different value), so following that one field follows the person across role chains and
//     accounts;
//   - the AssumeRole* call that sets it shows it in requestParameters.sourceIdentity and
//     responseElements.sourceIdentity; the role owner's copy of a cross-account call has an
//     AWSAccount caller without a sessionContext, and shows the inherited value in
//     responseElements only.
//
// Values are compared exactly: STS keeps the value as given.
package sessiontrail

import (
	"fmt"
	"regexp"

	"github.com/source-identity-guard/source-identity-guard/shared/trailrecord"
)

// Via says how a record carries the source identity.
type Via string

const (
	ViaSession  Via = "session"  // the calling session carries it (userIdentity.sessionContext.sourceIdentity)
	ViaRequest  Via = "request"  // an AssumeRole* call that set it (requestParameters.sourceIdentity)
	ViaResponse Via = "response" // an AssumeRole* call whose new session has it (responseElements.sourceIdentity)
)

// validValue is STS's rule for a source identity: 2 to 64 characters of [\w+=,.@-]
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
var validValue = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// Validate says whether v can be a source identity at all (no record can carry it otherwise).
func Validate(v string) error {
	if !validValue.MatchString(v) {
		return fmt.Errorf("%q is not a source identity STS accepts (2 to 64 characters of letters, digits and _+=,.@-)", v)
	}
	return nil
}

// Match reports whether the record carries the source identity v, and how.
func Match(r trailrecord.Record, v string) (Via, bool) {
	switch {
	case r.Identity.SessionSourceIdentity == v:
		return ViaSession, true
	case !isAssumption(r):
		return "", false
	case r.SourceIdentity == v:
		return ViaRequest, true
	case r.ResponseSourceIdentity == v:
		return ViaResponse, true
	}
	return "", false
}

func isAssumption(r trailrecord.Record) bool {
	if r.EventSource != "sts.amazonaws.com" {
		return false
	}
	switch r.EventName {
	case "AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity":
		return true
	}
	return false
}

// Event is one matching record, as `sidguard trail` prints it.
type Event struct {
	EventTime          string `json:"eventTime"`
	EventID            string `json:"eventID"`
	EventSource        string `json:"eventSource"`
	EventName          string `json:"eventName"`
	RecipientAccountID string `json:"recipientAccountId"`
	AWSRegion          string `json:"awsRegion"`
	// Role is the role whose session made the call (sessionContext.sessionIssuer.arn), or for
	// an assumption, the role assumed.
	Role string `json:"role,omitempty"`
	// AssumedRole is, for an AssumeRole* call, the role it assumed.
	AssumedRole string `json:"assumedRole,omitempty"`
	// Principal is who made the call: userIdentity.arn, or for an AWSAccount caller
	// "account ACCOUNT (PRINCIPALID)".
	Principal      string `json:"principal"`
	SourceIdentity string `json:"sourceIdentity"`
	Via            Via    `json:"via"`
	ErrorCode      string `json:"errorCode,omitempty"`
	File           string `json:"file"`
}

// NewEvent describes a matching record found in file.
func NewEvent(r trailrecord.Record, v string, via Via, file string) Event {
	e := Event{
		EventTime: r.EventTime, EventID: r.EventID, EventSource: r.EventSource, EventName: r.EventName,
		RecipientAccountID: r.RecipientAccountID, AWSRegion: r.AWSRegion,
		Principal: r.Identity.ARN, SourceIdentity: v, Via: via, ErrorCode: r.ErrorCode, File: file,
	}
	if e.Principal == "" && r.Identity.Type == "AWSAccount" {
		e.Principal = fmt.Sprintf("account %s (%s)", r.Identity.AccountID, r.Identity.PrincipalID)
	}
	if e.Principal == "" {
		e.Principal = r.Identity.PrincipalID
	}
	if isAssumption(r) {
		e.AssumedRole = r.RoleARN
		if e.AssumedRole == "" && len(r.RoleResources) > 0 {
			e.AssumedRole = r.RoleResources[0]
		}
	}
	if via == ViaSession {
		e.Role = r.Identity.SessionIssuerARN
	} else {
		e.Role = e.AssumedRole
	}
	return e
}
