// Package trailrecord decodes the fields of a CloudTrail record that the readiness evidence
// and `sidguard trail` read: who called (userIdentity, with the session's source identity),
// what was called, when, and the role-assumption parameters and response.
//
// It is pure (no AWS SDK) and fast: one reusable parser per Decoder, no reflection. A record
// that is not valid JSON, or whose userIdentity, requestParameters or responseElements is of
// the wrong JSON type, is an error; missing fields are empty strings. Field meanings:
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
// and https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html.
package trailrecord

import (
	"errors"
	"fmt"

	"github.com/valyala/fastjson"
)

// ErrMalformed is wrapped by every Decode error.
var ErrMalformed = errors.New("malformed CloudTrail record")

// Record holds the decoded fields. Strings are copies: a Record outlives the bytes it came from.
type Record struct {
	EventID            string
	EventTime          string // as written (RFC 3339); parsed by the consumer that needs it
	EventSource        string // e.g. sts.amazonaws.com, signin.amazonaws.com
	EventName          string // e.g. AssumeRole, SwitchRole
	EventType          string // AwsApiCall, AwsConsoleSignIn, ...
	AWSRegion          string
	SourceIPAddress    string
	UserAgent          string
	ErrorCode          string // set only when the call failed
	RecipientAccountID string // the account whose trail logged the record

	Identity Identity

	// From requestParameters.
	RoleARN         string // roleArn of AssumeRole / AssumeRoleWithSAML / AssumeRoleWithWebIdentity
	RoleSessionName string
	SourceIdentity  string // requestParameters.sourceIdentity
	PrincipalARN    string // requestParameters.principalArn (the SAML provider of AssumeRoleWithSAML)

	// From responseElements.
	ResponseSourceIdentity string // responseElements.sourceIdentity
	AssumedRoleARN         string // responseElements.assumedRoleUser.arn
	SwitchRoleResult       string // responseElements.SwitchRole of a console SwitchRole ("Success")

	// SwitchFrom is additionalEventData.SwitchFrom of a console SwitchRole: who switched.
	SwitchFrom string

	// RoleResources lists resources[].ARN of type AWS::IAM::Role.
	RoleResources []string
}

// Identity is userIdentity.
type Identity struct {
	Type             string // IAMUser, AssumedRole, AWSAccount, AWSService, SAMLUser, WebIdentityUser, Root, ...
	PrincipalID      string
	ARN              string
	AccountID        string
	UserName         string
	InvokedBy        string
	IdentityProvider string // SAMLUser / WebIdentityUser

	HasSessionContext bool
	SessionIssuerARN  string // sessionContext.sessionIssuer.arn: the role, path included
	SessionIssuerType string
	// SessionSourceIdentity is sessionContext.sourceIdentity: the source identity the calling
	// session carries (set when the session was created, inherited along role chains).
	SessionSourceIdentity string
}

// Decoder decodes records. It is not safe for concurrent use; use one per goroutine.
type Decoder struct {
	p fastjson.Parser
	// strs interns the few-valued strings records repeat (event names, types, accounts, user
	// agents), so that a record costs few allocations; it is emptied when it reaches
	// maxInterned entries.
	strs map[string]string
}

const maxInterned = 1 << 14

// intern returns b as a string, shared with earlier equal values.
func (d *Decoder) intern(b []byte) string {
	if s, ok := d.strs[string(b)]; ok {
		return s
	}
	if d.strs == nil || len(d.strs) >= maxInterned {
		d.strs = make(map[string]string, 256)
	}
	s := string(b)
	d.strs[s] = s
	return s
}

// Decode decodes one record. Each object is walked once (no per-field key search).
func (d *Decoder) Decode(raw []byte) (Record, error) {
	v, err := d.p.ParseBytes(raw)
	if err != nil {
		return Record{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	top, err := v.Object()
	if err != nil {
		return Record{}, fmt.Errorf("%w: not an object", ErrMalformed)
	}
	var r Record
	var bad string
	// str reads a top-level or userIdentity string: another type (null aside) is an error.
	str := func(v *fastjson.Value, name string, intern bool) string {
		switch v.Type() {
		case fastjson.TypeString:
			b, _ := v.StringBytes()
			if intern {
				return d.intern(b)
			}
			return string(b)
		case fastjson.TypeNull:
		default:
			if bad == "" {
				bad = name + " is not a string"
			}
		}
		return ""
	}
	// soft reads a string inside requestParameters, responseElements and the like, whose
	// content differs per service: a value of another type there means "not this field".
	soft := func(v *fastjson.Value) string {
		if v.Type() == fastjson.TypeString {
			b, _ := v.StringBytes()
			return string(b)
		}
		return ""
	}
	visit := func(v *fastjson.Value, f func(key []byte, v *fastjson.Value)) {
		if o, err := v.Object(); err == nil {
			o.Visit(f)
		}
	}
	top.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "eventID":
			r.EventID = str(v, "eventID", false) // unique: not interned
		case "eventTime":
			r.EventTime = str(v, "eventTime", false)
		case "eventSource":
			r.EventSource = str(v, "eventSource", true)
		case "eventName":
			r.EventName = str(v, "eventName", true)
		case "eventType":
			r.EventType = str(v, "eventType", true)
		case "awsRegion":
			r.AWSRegion = str(v, "awsRegion", true)
		case "sourceIPAddress":
			r.SourceIPAddress = str(v, "sourceIPAddress", false)
		case "userAgent":
			r.UserAgent = str(v, "userAgent", true)
		case "errorCode":
			r.ErrorCode = str(v, "errorCode", true)
		case "recipientAccountId":
			r.RecipientAccountID = str(v, "recipientAccountId", true)
		case "userIdentity":
			switch v.Type() {
			case fastjson.TypeObject:
				d.identity(v, &r.Identity, str, visit)
			case fastjson.TypeNull:
			default:
				if bad == "" {
					bad = "userIdentity is not an object"
				}
			}
		case "requestParameters":
			visit(v, func(k []byte, v *fastjson.Value) {
				switch string(k) {
				case "roleArn":
					r.RoleARN = soft(v)
				case "roleSessionName":
					r.RoleSessionName = soft(v)
				case "sourceIdentity":
					r.SourceIdentity = soft(v)
				case "principalArn":
					r.PrincipalARN = soft(v)
				}
			})
		case "responseElements":
			visit(v, func(k []byte, v *fastjson.Value) {
				switch string(k) {
				case "sourceIdentity":
					r.ResponseSourceIdentity = soft(v)
				case "SwitchRole":
					r.SwitchRoleResult = soft(v)
				case "assumedRoleUser":
					visit(v, func(k []byte, v *fastjson.Value) {
						if string(k) == "arn" {
							r.AssumedRoleARN = soft(v)
						}
					})
				}
			})
		case "additionalEventData":
			visit(v, func(k []byte, v *fastjson.Value) {
				if string(k) == "SwitchFrom" {
					r.SwitchFrom = soft(v)
				}
			})
		case "resources":
			if arr, err := v.Array(); err == nil {
				for _, res := range arr {
					var typ, arn string
					visit(res, func(k []byte, v *fastjson.Value) {
						switch string(k) {
						case "type":
							typ = soft(v)
						case "ARN":
							arn = soft(v)
						}
					})
					if typ == "AWS::IAM::Role" && arn != "" {
						r.RoleResources = append(r.RoleResources, arn)
					}
				}
			}
		}
	})
	if bad != "" {
		return r, fmt.Errorf("%w: %s", ErrMalformed, bad)
	}
	return r, nil
}

func (d *Decoder) identity(v *fastjson.Value, id *Identity, str func(*fastjson.Value, string, bool) string, visit func(*fastjson.Value, func([]byte, *fastjson.Value))) {
	visit(v, func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "type":
			id.Type = str(v, "userIdentity.type", true)
		case "principalId":
			id.PrincipalID = str(v, "userIdentity.principalId", false)
		case "arn":
			id.ARN = str(v, "userIdentity.arn", false)
		case "accountId":
			id.AccountID = str(v, "userIdentity.accountId", true)
		case "userName":
			id.UserName = str(v, "userIdentity.userName", false)
		case "invokedBy":
			id.InvokedBy = str(v, "userIdentity.invokedBy", true)
		case "identityProvider":
			id.IdentityProvider = str(v, "userIdentity.identityProvider", true)
		case "sessionContext":
			if v.Type() != fastjson.TypeObject {
				return
			}
			id.HasSessionContext = true
			visit(v, func(k []byte, v *fastjson.Value) {
				switch string(k) {
				case "sourceIdentity":
					id.SessionSourceIdentity = str(v, "userIdentity.sessionContext.sourceIdentity", false)
				case "sessionIssuer":
					visit(v, func(k []byte, v *fastjson.Value) {
						switch string(k) {
						case "arn":
							id.SessionIssuerARN = str(v, "sessionIssuer.arn", false)
						case "type":
							id.SessionIssuerType = str(v, "sessionIssuer.type", true)
						}
					})
				}
			})
		}
	})
}
