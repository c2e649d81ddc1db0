package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Envelope and record values of the events this package accepts (https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html and https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).
const (
	Source      = "aws.iam"
	DetailType  = "AWS API Call via CloudTrail"
	EventSource = "iam.amazonaws.com"
)

// Event names this package decodes.
const (
	CreateRole             = "CreateRole"
	UpdateAssumeRolePolicy = "UpdateAssumeRolePolicy"
	// TagRole and UntagRole carry no policy: a role tag can change the guard's verdict (when
	// tags are protected), so the role is judged again.
	TagRole   = "TagRole"
	UntagRole = "UntagRole"
)

// Sentinel errors; every error Parse and ParseJSON return wraps exactly one of them.
var (
	ErrNotCloudTrail    = errors.New("not an IAM API call from CloudTrail")
	ErrUnsupportedEvent = errors.New("unsupported IAM event")
	ErrMalformed        = errors.New("malformed CloudTrail event")
)

// Call is one CreateRole, UpdateAssumeRolePolicy, TagRole or UntagRole call as CloudTrail
// recorded it (Policy is nil for the tag calls).
type Call struct {
	EventName string    // CreateRole, UpdateAssumeRolePolicy, TagRole or UntagRole
	EventID   string    // detail.eventID: CloudTrail's per-event GUID, the dedupe key
	EventTime time.Time // detail.eventTime; the envelope time when absent or unreadable
	Account   string    // detail.recipientAccountId, else the envelope account: the role's owner
	Region    string    // detail.awsRegion, else the envelope region

	RoleName string // requestParameters.roleName (may be empty only for a failed call)
	RolePath string // requestParameters.path (CreateRole only; "" when not given)
	RoleARN  string // responseElements.role.arn (successful CreateRole only)
	RoleID   string // responseElements.role.roleId (successful CreateRole only)

	// Policy is the trust policy the caller submitted (CreateRole assumeRolePolicyDocument,
	// UpdateAssumeRolePolicy policyDocument) as JSON text: the string in a real event, or the
	// object (compacted) in a hand-written one. Nil when the event has none.
	Policy []byte

	ErrorCode    string // detail.errorCode: set only when the call failed
	ErrorMessage string // detail.errorMessage

	Actor Actor // who made the call

	// UserAgent is detail.userAgent: the client that made the call as CloudTrail recorded it
	// ("cloudformation.amazonaws.com" when CloudFormation made it, "... Terraform/1.9.5 ..."
	// for Terraform's AWS provider). The caller chooses it: a hint for people, never proof.
	UserAgent string
}

// Failed reports whether the call failed (CloudTrail set errorCode), so it changed nothing.
func (c Call) Failed() bool { return c.ErrorCode != "" }

// ParseJSON decodes an EventBridge event from its JSON text (what `sam local invoke -e` and
// the events/ samples hold) and then behaves like [Parse].
func ParseJSON(data []byte) (Call, error) {
	if !isObject(data) {
		return Call{}, fmt.Errorf("decode EventBridge event: not a JSON object: %w", ErrMalformed)
	}
	var ev events.CloudWatchEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		return Call{}, fmt.Errorf("decode EventBridge event: %v: %w", err, ErrMalformed)
	}
	return Parse(ev)
}

// Parse decodes the CloudTrail record in ev.Detail. On error the returned Call holds what was
// decoded before the problem was found (for logs); callers must not act on it.
func Parse(ev events.CloudWatchEvent) (Call, error) {
	if ev.Source != Source || ev.DetailType != DetailType {
		return Call{}, fmt.Errorf("%s: source %q, detail-type %q: %w", label(ev), ev.Source, ev.DetailType, ErrNotCloudTrail)
	}
	if !isObject(ev.Detail) {
		return Call{}, fmt.Errorf("%s: detail is not a JSON object: %w", label(ev), ErrMalformed)
	}
	var d record
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		return Call{}, fmt.Errorf("%s: decode detail: %v: %w", label(ev), err, ErrMalformed)
	}
	c := Call{
		EventName:    d.EventName,
		EventID:      d.EventID,
		EventTime:    ev.Time,
		Account:      first(d.RecipientAccountID, ev.AccountID),
		Region:       first(d.AWSRegion, ev.Region),
		ErrorCode:    d.ErrorCode,
		ErrorMessage: d.ErrorMessage,
		Actor:        d.UserIdentity.actor(),
		UserAgent:    stringOrEmpty(d.UserAgent),
	}
	if t, err := time.Parse(time.RFC3339, d.EventTime); err == nil {
		c.EventTime = t
	}
	if d.EventSource != EventSource {
		return c, fmt.Errorf("%s: detail.eventSource %q: %w", label(ev), d.EventSource, ErrNotCloudTrail)
	}
	var docField string
	switch d.EventName {
	case CreateRole:
		docField = "assumeRolePolicyDocument"
	case UpdateAssumeRolePolicy:
		docField = "policyDocument"
	case TagRole, UntagRole:
		docField = "" // no policy document
	default:
		return c, fmt.Errorf("%s: detail.eventName %q: %w", label(ev), d.EventName, ErrUnsupportedEvent)
	}
	if err := c.decodeRequest(d.RequestParameters, docField); err != nil {
		return c, fmt.Errorf("%s (%s %q): %w", label(ev), d.EventName, c.RoleName, err)
	}
	if d.EventName == CreateRole && !c.Failed() {
		c.decodeResponse(d.ResponseElements)
	}
	return c, nil
}

// decodeRequest fills the role name, path and policy from requestParameters. A failed call may
// lack them (CloudTrail records what it can); a successful one must name the role.
func (c *Call) decodeRequest(raw json.RawMessage, docField string) error {
	if isNull(raw) {
		if c.Failed() {
			return nil
		}
		return fmt.Errorf("detail.requestParameters: missing: %w", ErrMalformed)
	}
	if !isObject(raw) {
		return fmt.Errorf("detail.requestParameters: not a JSON object: %w", ErrMalformed)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return fmt.Errorf("detail.requestParameters: %v: %w", err, ErrMalformed)
	}
	var err error
	if c.RoleName, err = optionalString(fields, "roleName"); err != nil {
		return err
	}
	if c.RoleName == "" && !c.Failed() {
		return fmt.Errorf("detail.requestParameters.roleName: missing or empty: %w", ErrMalformed)
	}
	if c.RolePath, err = optionalString(fields, "path"); err != nil {
		return err
	}
	doc, ok := fields[docField]
	if docField == "" {
		ok = false
	}
	switch {
	case !ok || isNull(doc):
		c.Policy = nil
	case isObject(doc):
		var b bytes.Buffer
		if err := json.Compact(&b, doc); err != nil {
			return fmt.Errorf("detail.requestParameters.%s: %v: %w", docField, err, ErrMalformed)
		}
		c.Policy = b.Bytes()
	default:
		var s string
		if err := json.Unmarshal(doc, &s); err != nil {
			return fmt.Errorf("detail.requestParameters.%s: neither a string nor an object: %w", docField, ErrMalformed)
		}
		c.Policy = []byte(s)
	}
	return nil
}

// decodeResponse reads responseElements.role of a successful CreateRole. It is informational
// only, so a response of an unexpected shape is ignored rather than reported.
func (c *Call) decodeResponse(raw json.RawMessage) {
	var r struct {
		Role struct {
			ARN    string `json:"arn"`
			RoleID string `json:"roleId"`
			Path   string `json:"path"`
		} `json:"role"`
	}
	if isNull(raw) || json.Unmarshal(raw, &r) != nil {
		return
	}
	c.RoleARN, c.RoleID = r.Role.ARN, r.Role.RoleID
	c.RolePath = first(c.RolePath, r.Role.Path)
}

// record is the part of a CloudTrail record this package reads (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).
type record struct {
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	EventID            string          `json:"eventID"`
	EventTime          string          `json:"eventTime"`
	AWSRegion          string          `json:"awsRegion"`
	RecipientAccountID string          `json:"recipientAccountId"`
	ErrorCode          string          `json:"errorCode"`
	ErrorMessage       string          `json:"errorMessage"`
	UserIdentity       userIdentity    `json:"userIdentity"`
	UserAgent          json.RawMessage `json:"userAgent"` // read leniently: a hint, never a reason to drop the event
	RequestParameters  json.RawMessage `json:"requestParameters"`
	ResponseElements   json.RawMessage `json:"responseElements"`
}

func optionalString(fields map[string]json.RawMessage, name string) (string, error) {
	raw, ok := fields[name]
	if !ok || isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("detail.requestParameters.%s: not a string: %w", name, ErrMalformed)
	}
	return s, nil
}

// stringOrEmpty returns raw's string value, "" when raw is absent or not a JSON string.
func stringOrEmpty(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

func isObject(raw []byte) bool {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	return len(raw) > 0 && raw[0] == '{'
}

func isNull(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// label names the event in errors: EventBridge's id when it has one.
func label(ev events.CloudWatchEvent) string {
	if ev.ID == "" {
		return "event"
	}
	return "event " + ev.ID
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
