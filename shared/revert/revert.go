// Package revert decides whether a trust policy the guard wrote can be put back as it was.
//
// Its input is a published "Trust Policy Decision" event (or its detail alone): the role, the
// decision, and the trust policy before and after the guard's write. The rule is the one an
// operator needs to trust an undo button:
//
//   - only a `patched` decision wrote anything, so only it can be reverted; `would-patch`
//     (audit), `unfixable` and the rest changed nothing;
//   - the live trust policy must still be the one the guard wrote (PolicyAfter). If someone (a
//     person, CloudFormation, Terraform) changed the role since, restoring PolicyBefore would
//     silently throw their change away, so the revert is refused and the difference shown;
//   - the role read must be the role of the event (same ARN, so the same account), or the
//     credentials point at another account;
//   - the policy restored is PolicyBefore as the event recorded it (compacted: white space
//     outside strings removed).
//
// Two documents are "the same" when they are equal as JSON values (objects compared by their
// members in any order, arrays element by element, strings and numbers by value): IAM returns a
// trust policy URL-encoded and may re-space it, but keeps its members. Whether IAM also
// normalizes values (e.g. an account id written as a root ARN) is not assumed: such a document
// compares as changed, and the revert is refused, which is the safe side.
//
// The package is pure: it reads no AWS API. The caller reads the live role and writes the
// policy (see cmd/sidguard revert).
package revert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/source-identity-guard/source-identity-guard/shared/linediff"
)

// ErrUnusable wraps every reason an input cannot be used (not a decision event, no role, no
// policies).
var ErrUnusable = errors.New("unusable decision event")

// Request is what a decision event says about one write.
type Request struct {
	RoleARN  string
	RoleName string
	Account  string
	Decision string
	// Before and After are the trust policy as the guard read it and as it wrote it.
	Before, After []byte
}

// decisionDetail is the part of guard.DecisionEvent this package reads; the field names are the
// published event's.
type decisionDetail struct {
	RoleARN      string          `json:"roleArn"`
	RoleName     string          `json:"roleName"`
	Account      string          `json:"account"`
	Decision     string          `json:"decision"`
	PolicyBefore json.RawMessage `json:"policyBefore"`
	PolicyAfter  json.RawMessage `json:"policyAfter"`
}

// FromEvent reads a decision event: the EventBridge envelope (detail-type "Trust Policy
// Decision") or its detail alone.
func FromEvent(data []byte) (Request, error) {
	var envelope struct {
		DetailType string          `json:"detail-type"`
		Detail     json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(data, &envelope); err != nil {
		return Request{}, fmt.Errorf("%w: not JSON: %v", ErrUnusable, err)
	}
	body := data
	if len(envelope.Detail) > 0 {
		if envelope.DetailType != "" && envelope.DetailType != "Trust Policy Decision" {
			return Request{}, fmt.Errorf("%w: detail-type %q, want \"Trust Policy Decision\"", ErrUnusable, envelope.DetailType)
		}
		body = envelope.Detail
	}
	var d decisionDetail
	if err := json.Unmarshal(body, &d); err != nil {
		return Request{}, fmt.Errorf("%w: detail: %v", ErrUnusable, err)
	}
	if d.RoleARN == "" || d.Decision == "" {
		return Request{}, fmt.Errorf("%w: no roleArn or decision", ErrUnusable)
	}
	if d.RoleName == "" {
		d.RoleName = d.RoleARN[strings.LastIndexByte(d.RoleARN, '/')+1:]
	}
	req := Request{RoleARN: d.RoleARN, RoleName: d.RoleName, Account: d.Account, Decision: d.Decision}
	var err error
	if req.Before, err = document(d.PolicyBefore, "policyBefore"); err != nil {
		return Request{}, err
	}
	if req.After, err = document(d.PolicyAfter, "policyAfter"); err != nil {
		return Request{}, err
	}
	return req, nil
}

// document returns an embedded policy as JSON text. The guard embeds a policy that was not
// valid JSON as a JSON string; such a policy, or one that is not an object, cannot be restored.
func document(raw json.RawMessage, field string) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if raw[0] != '{' {
		return nil, fmt.Errorf("%w: %s is not a JSON object (the guard records a document it could not parse as a string)", ErrUnusable, field)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUnusable, field, err)
	}
	return b.Bytes(), nil
}

// Outcome is what Decide says.
type Outcome string

const (
	Revert  Outcome = "revert"  // write Plan.Policy
	Refused Outcome = "refused" // the live policy is not the one the guard wrote
	Nothing Outcome = "nothing" // the decision wrote nothing, or the role already has Before
)

// Plan is Decide's answer.
type Plan struct {
	Outcome Outcome
	Reason  string
	// Policy is the document to write (Request.Before) when Outcome is Revert.
	Policy []byte
	// Diff shows, line by line, what changed from the policy the guard wrote to the live one,
	// when Outcome is Refused because of that.
	Diff []string
}

// Decide judges req against the role as read now: its ARN and live trust policy.
func Decide(req Request, liveARN string, live []byte) (Plan, error) {
	if req.Decision != "patched" {
		return Plan{Outcome: Nothing, Reason: fmt.Sprintf("decision %q wrote nothing: only a patched decision can be reverted", req.Decision)}, nil
	}
	if len(req.Before) == 0 || len(req.After) == 0 {
		return Plan{}, fmt.Errorf("%w: a patched decision without policyBefore and policyAfter", ErrUnusable)
	}
	if liveARN != req.RoleARN {
		return Plan{Outcome: Refused, Reason: fmt.Sprintf("the role read is %s, the event's is %s: credentials for the event's account are needed", liveARN, req.RoleARN)}, nil
	}
	liveV, err := value(live)
	if err != nil {
		return Plan{Outcome: Refused, Reason: "the live trust policy is not JSON: " + err.Error()}, nil
	}
	afterV, err := value(req.After)
	if err != nil {
		return Plan{}, fmt.Errorf("%w: policyAfter: %v", ErrUnusable, err)
	}
	beforeV, err := value(req.Before)
	if err != nil {
		return Plan{}, fmt.Errorf("%w: policyBefore: %v", ErrUnusable, err)
	}
	switch {
	case reflect.DeepEqual(liveV, afterV):
		return Plan{Outcome: Revert, Reason: "the live trust policy is the one the guard wrote", Policy: req.Before}, nil
	case reflect.DeepEqual(liveV, beforeV):
		return Plan{Outcome: Nothing, Reason: "the role already has the trust policy from before the guard's write"}, nil
	default:
		return Plan{Outcome: Refused, Reason: "the trust policy changed after the guard wrote it; restoring the old one would undo that change",
			Diff: linediff.Lines(pretty(afterV), pretty(liveV))}, nil
	}
}

func value(doc []byte) (any, error) {
	var v any
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("text after the JSON value")
	}
	return v, nil
}

func pretty(v any) []string {
	b, _ := json.MarshalIndent(v, "", "  ") // a decoded value always marshals
	return strings.Split(string(b), "\n")
}
