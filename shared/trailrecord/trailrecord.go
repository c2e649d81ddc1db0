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

// Decode decodes one record.
func (d *Decoder) Decode(raw []byte) (Record, error) {
	v, err := d.p.ParseBytes(raw)
	if err != nil {
		return Record{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if v.Type() != fastjson.TypeObject {
		return Record{}, fmt.Errorf("%w: not an object", ErrMalformed)
	}
	var r Record
	var errs []string
	str := func(v *fastjson.Value, name string, keys ...string) string {
		return d.field(v, &errs, false, name, keys...)
	}
	low := func(v *fastjson.Value, name string, keys ...string) string {
		return d.field(v, &errs, true, name, keys...)
	}
	// soft reads a string inside requestParameters, responseElements and the like, whose
	// content differs per service: a value of another type there means "not this field".
	soft := func(v *fastjson.Value, keys ...string) string {
		if x := v.Get(keys...); x != nil && x.Type() == fastjson.TypeString {
			return string(x.GetStringBytes())
		}
		return ""
	}
	obj := func(v *fastjson.Value, name string) *fastjson.Value {
		if x := v.Get(name); x != nil && x.Type() == fastjson.TypeObject {
			return x
		}
		return nil
	}
	if x := v.Get("eventID"); x != nil && x.Type() == fastjson.TypeString {
		r.EventID = string(x.GetStringBytes()) // unique: not interned
	} else if x != nil && x.Type() != fastjson.TypeNull {
		errs = append(errs, "eventID is not a string")
	}
	r.EventTime = str(v, "eventTime", "eventTime")
	r.EventSource = low(v, "eventSource", "eventSource")
	r.EventName = low(v, "eventName", "eventName")
	r.EventType = low(v, "eventType", "eventType")
	r.AWSRegion = low(v, "awsRegion", "awsRegion")
	r.SourceIPAddress = str(v, "sourceIPAddress", "sourceIPAddress")
	r.UserAgent = low(v, "userAgent", "userAgent")
	r.ErrorCode = low(v, "errorCode", "errorCode")
	r.RecipientAccountID = low(v, "recipientAccountId", "recipientAccountId")

	if u := v.Get("userIdentity"); u != nil && u.Type() != fastjson.TypeNull && u.Type() != fastjson.TypeObject {
		errs = append(errs, "userIdentity is not an object")
	} else if u != nil && u.Type() == fastjson.TypeObject {
		id := &r.Identity
		id.Type = low(u, "userIdentity.type", "type")
		id.PrincipalID = str(u, "userIdentity.principalId", "principalId")
		id.ARN = str(u, "userIdentity.arn", "arn")
		id.AccountID = low(u, "userIdentity.accountId", "accountId")
		id.UserName = str(u, "userIdentity.userName", "userName")
		id.InvokedBy = low(u, "userIdentity.invokedBy", "invokedBy")
		id.IdentityProvider = low(u, "userIdentity.identityProvider", "identityProvider")
		if sc := obj(u, "sessionContext"); sc != nil {
			id.HasSessionContext = true
			id.SessionSourceIdentity = str(sc, "userIdentity.sessionContext.sourceIdentity", "sourceIdentity")
			if si := obj(sc, "sessionIssuer"); si != nil {
				id.SessionIssuerARN = str(si, "sessionIssuer.arn", "arn")
				id.SessionIssuerType = low(si, "sessionIssuer.type", "type")
			}
		}
	}
	if p := obj(v, "requestParameters"); p != nil {
		r.RoleARN = soft(p, "roleArn")
		r.RoleSessionName = soft(p, "roleSessionName")
		r.SourceIdentity = soft(p, "sourceIdentity")
		r.PrincipalARN = soft(p, "principalArn")
	}
	if e := obj(v, "responseElements"); e != nil {
		r.ResponseSourceIdentity = soft(e, "sourceIdentity")
		r.AssumedRoleARN = soft(e, "assumedRoleUser", "arn")
		r.SwitchRoleResult = soft(e, "SwitchRole")
	}
	if a := obj(v, "additionalEventData"); a != nil {
		r.SwitchFrom = soft(a, "SwitchFrom")
	}
	for _, res := range v.GetArray("resources") {
		if soft(res, "type") == "AWS::IAM::Role" {
			if arn := soft(res, "ARN"); arn != "" {
				r.RoleResources = append(r.RoleResources, arn)
			}
		}
	}
	if len(errs) > 0 {
		return r, fmt.Errorf("%w: %s", ErrMalformed, errs[0])
	}
	return r, nil
}

// field reads a string field; a value of another type is an error.
func (d *Decoder) field(v *fastjson.Value, errs *[]string, intern bool, name string, keys ...string) string {
	x := v.Get(keys...)
	if x == nil || x.Type() == fastjson.TypeNull {
		return ""
	}
	b, err := x.StringBytes()
	if err != nil {
		*errs = append(*errs, name+" is not a string")
		return ""
	}
	if intern {
		return d.intern(b)
	}
	return string(b)
}
