package cloudtrail

import (
	"fmt"
	"strings"
)

// ActorType is CloudTrail's userIdentity.type. Values not listed here are kept as they are.
type ActorType string

// userIdentity types documented by CloudTrail (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html).
const (
	ActorRoot               ActorType = "Root"
	ActorIAMUser            ActorType = "IAMUser"
	ActorAssumedRole        ActorType = "AssumedRole"
	ActorRole               ActorType = "Role"
	ActorFederatedUser      ActorType = "FederatedUser"
	ActorDirectory          ActorType = "Directory"
	ActorAWSAccount         ActorType = "AWSAccount"
	ActorAWSService         ActorType = "AWSService"
	ActorIdentityCenterUser ActorType = "IdentityCenterUser"
	ActorUnknown            ActorType = "Unknown"
)

// Actor is who made the call (CloudTrail userIdentity). The zero value means the record had
// no userIdentity.
type Actor struct {
	Type        ActorType
	ARN         string // e.g. arn:aws:sts::111122223333:assumed-role/Admin/bob; empty for AWSService
	PrincipalID string // AIDA… for users, AROA…:session for role sessions, the account id for Root
	AccountID   string
	UserName    string // IAM user name; for role sessions the issuing role's name

	// SessionIssuerARN is the ARN of the role (with its path) whose session made the call:
	// sessionContext.sessionIssuer.arn. Compare it, not ARN, to recognise a given role's
	// sessions (the session name is not predictable).
	SessionIssuerARN string
	// SourceIdentity is sessionContext.sourceIdentity: the source identity of the session that
	// made the call, empty when the session has none.
	SourceIdentity string
	// FederatedProvider is sessionContext.webIdFederationData.federatedProvider, for sessions
	// from AssumeRoleWithWebIdentity.
	FederatedProvider string
	// InvokedBy names the AWS service that made the call on the actor's behalf (e.g.
	// sso.amazonaws.com when IAM Identity Center provisions a role).
	InvokedBy string
}

// IsSessionOf reports whether the call was made by a session of the role roleARN. The
// comparison is exact on the role ARN (paths included).
func (a Actor) IsSessionOf(roleARN string) bool {
	return roleARN != "" && a.SessionIssuerARN == roleARN
}

// String describes the actor in one line for logs, e.g.
// `AssumedRole arn:aws:sts::111122223333:assumed-role/Admin/bob (role arn:aws:iam::111122223333:role/Admin, source identity "bob")`.
func (a Actor) String() string {
	typ := string(a.Type)
	if typ == "" {
		typ = "unknown actor"
	}
	who := first(a.ARN, a.PrincipalID)
	if who == "" && a.Type == ActorAWSService {
		who, a.InvokedBy = a.InvokedBy, ""
	}
	var b strings.Builder
	b.WriteString(typ)
	if who != "" {
		b.WriteString(" " + who)
	}
	var extra []string
	if a.SessionIssuerARN != "" {
		extra = append(extra, "role "+a.SessionIssuerARN)
	}
	if a.FederatedProvider != "" {
		extra = append(extra, "web identity "+a.FederatedProvider)
	}
	if a.SourceIdentity != "" {
		extra = append(extra, fmt.Sprintf("source identity %q", a.SourceIdentity))
	} else if a.Type == ActorAssumedRole {
		extra = append(extra, "no source identity")
	}
	if a.InvokedBy != "" {
		extra = append(extra, "invoked by "+a.InvokedBy)
	}
	if len(extra) > 0 {
		b.WriteString(" (" + strings.Join(extra, ", ") + ")")
	}
	return b.String()
}

// userIdentity is the CloudTrail userIdentity element (the fields Actor keeps).
type userIdentity struct {
	Type           string `json:"type"`
	PrincipalID    string `json:"principalId"`
	ARN            string `json:"arn"`
	AccountID      string `json:"accountId"`
	UserName       string `json:"userName"`
	InvokedBy      string `json:"invokedBy"`
	SessionContext *struct {
		SessionIssuer *struct {
			ARN      string `json:"arn"`
			UserName string `json:"userName"`
		} `json:"sessionIssuer"`
		WebIDFederationData *struct {
			FederatedProvider string `json:"federatedProvider"`
		} `json:"webIdFederationData"`
		SourceIdentity string `json:"sourceIdentity"`
	} `json:"sessionContext"`
}

func (u userIdentity) actor() Actor {
	a := Actor{
		Type:        ActorType(u.Type),
		ARN:         u.ARN,
		PrincipalID: u.PrincipalID,
		AccountID:   u.AccountID,
		UserName:    u.UserName,
		InvokedBy:   u.InvokedBy,
	}
	if sc := u.SessionContext; sc != nil {
		a.SourceIdentity = sc.SourceIdentity
		if si := sc.SessionIssuer; si != nil {
			a.SessionIssuerARN = si.ARN
			a.UserName = first(a.UserName, si.UserName)
		}
		if wi := sc.WebIDFederationData; wi != nil {
			a.FederatedProvider = wi.FederatedProvider
		}
	}
	return a
}
