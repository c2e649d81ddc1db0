package callerpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Holder is the kind of principal that holds the identity policy.
type Holder string

const (
	HolderUser        Holder = "user"         // an IAM user (or group)
	HolderRoleSession Holder = "role-session" // a role's sessions (permission set, federated role)
)

// ParseHolder reads "user" or "role-session".
func ParseHolder(s string) (Holder, error) {
	switch Holder(s) {
	case HolderUser, HolderRoleSession:
		return Holder(s), nil
	}
	return "", fmt.Errorf("holder %q: want user or role-session", s)
}

// DefaultTagKey is the principal tag that carries a role session's source identity.
const DefaultTagKey = "SourceIdentity"

var (
	roleARN = regexp.MustCompile(`^arn:(aws[a-z-]*|\*):iam::([0-9]{12}|\*):role/[\w+=,.@/*?-]{1,512}$`)
	tagKey  = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`)
)

// Spec says what policy to write.
type Spec struct {
	Roles  []string // role ARNs (wildcards allowed)
	Holder Holder
	TagKey string // HolderRoleSession: the principal tag; "" means DefaultTagKey
}

// Variable is the policy variable that names the holder's own value.
func (s Spec) Variable() string {
	if s.Holder == HolderRoleSession {
		k := s.TagKey
		if k == "" {
			k = DefaultTagKey
		}
		return "${aws:PrincipalTag/" + k + "}"
	}
	return "${aws:username}"
}

func (s Spec) validate() error {
	if len(s.Roles) == 0 {
		return errors.New("no role: name the roles to assume (--role-arn)")
	}
	for _, r := range s.Roles {
		if !roleARN.MatchString(r) {
			return fmt.Errorf("role %q: want a role ARN, arn:aws:iam::ACCOUNT:role/NAME (* and ? allowed)", r)
		}
	}
	if _, err := ParseHolder(string(s.Holder)); err != nil {
		return err
	}
	if s.Holder == HolderRoleSession && s.TagKey != "" && !tagKey.MatchString(s.TagKey) {
		return fmt.Errorf("tag key %q: want 1 to 128 letters, digits, spaces or _.:/=+-@", s.TagKey)
	}
	return nil
}

type genStatement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Action    string                       `json:"Action"`
	Resource  []string                     `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// Generate writes the identity policy of spec: sts:AssumeRole on the roles, and
// sts:SetSourceIdentity on them only with the holder's own value. The JSON is indented.
func Generate(spec Spec) ([]byte, error) {
	if err := spec.validate(); err != nil {
		return nil, err
	}
	roles := append([]string(nil), spec.Roles...)
	sort.Strings(roles)
	roles = dedupe(roles)
	doc := struct {
		Version   string         `json:"Version"`
		Statement []genStatement `json:"Statement"`
	}{"2012-10-17", []genStatement{
		{Sid: "AssumeRoles", Effect: "Allow", Action: "sts:AssumeRole", Resource: roles},
		{Sid: "SetOwnSourceIdentity", Effect: "Allow", Action: "sts:SetSourceIdentity", Resource: roles,
			Condition: map[string]map[string]string{"StringLike": {"sts:SourceIdentity": spec.Variable()}}},
	}}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// self is the holder's own value in Check's evaluations; other is someone else's.
const (
	self  = "alice.example"
	other = "mallory"
)

// RoleVerdict is Check's answer for one role.
type RoleVerdict struct {
	Role      string `json:"role"`
	CanAssume bool   `json:"canAssume"`
	CanSet    bool   `json:"canSetSourceIdentity"`
	Bound     bool   `json:"bound"`
	// OtherValue is a value other than the holder's that the policy lets them set ("" when
	// bound); Uncertain says a condition the evaluator does not know was involved.
	OtherValue string `json:"otherValue,omitempty"`
	Uncertain  bool   `json:"uncertain,omitempty"`
}

// Verdict is Check's answer: OK when the holder can set a source identity on every role and
// the value is bound to them on every role.
type Verdict struct {
	Holder Holder        `json:"for"`
	OK     bool          `json:"ok"`
	CanSet bool          `json:"canSetSourceIdentity"`
	Bound  bool          `json:"bound"`
	Roles  []RoleVerdict `json:"roles"`
}

// Check judges an identity policy for holder on roles (nil: every role the policy names in a
// statement about sts:SetSourceIdentity or sts:AssumeRole, wildcards filled in).
func Check(p *Policy, holder Holder, roles []string) Verdict {
	vars := map[string]string{}
	if holder == HolderRoleSession {
		for _, k := range tagVariables(p) {
			vars["aws:PrincipalTag/"+k] = self
		}
	} else {
		vars["aws:username"] = self
	}
	if len(roles) == 0 {
		roles = resourceCandidates(p)
	}
	v := Verdict{Holder: holder, OK: true, CanSet: true, Bound: true}
	cands := candidates(p)
	for _, role := range roles {
		rv := RoleVerdict{Role: role, Bound: true}
		ctx := map[string][]string{"sts:SourceIdentity": {self}}
		assume := p.Evaluate(Request{Action: "sts:AssumeRole", Resource: role, Context: ctx, Vars: vars})
		set := p.Evaluate(Request{Action: "sts:SetSourceIdentity", Resource: role, Context: ctx, Vars: vars})
		rv.CanAssume = assume.Decision == Allow && !assume.Uncertain
		rv.CanSet = set.Decision == Allow && !set.Uncertain
		rv.Uncertain = assume.Uncertain || set.Uncertain
		for _, c := range cands {
			if c == self {
				continue
			}
			r := p.Evaluate(Request{Action: "sts:SetSourceIdentity", Resource: role, Context: map[string][]string{"sts:SourceIdentity": {c}}, Vars: vars})
			if r.Decision == Allow || r.Uncertain {
				rv.Bound, rv.OtherValue = false, c
				rv.Uncertain = rv.Uncertain || r.Uncertain
				break
			}
		}
		v.CanSet = v.CanSet && rv.CanSet && rv.CanAssume
		v.Bound = v.Bound && rv.Bound
		v.Roles = append(v.Roles, rv)
	}
	v.OK = v.CanSet && v.Bound && len(v.Roles) > 0
	return v
}

// tagVariables lists the principal-tag keys the policy's values name.
func tagVariables(p *Policy) []string {
	re := regexp.MustCompile(`(?i)\$\{aws:PrincipalTag/([^},]+)`)
	seen := map[string]bool{}
	var out []string
	for _, st := range p.Statements {
		for _, c := range st.Conditions {
			for _, v := range c.Values {
				for _, m := range re.FindAllStringSubmatch(v, -1) {
					if !seen[m[1]] {
						seen[m[1]] = true
						out = append(out, m[1])
					}
				}
			}
		}
	}
	if len(out) == 0 {
		out = []string{DefaultTagKey}
	}
	return out
}

// candidates are the source-identity values tried for "bound": the policy's own literals on
// sts:SourceIdentity with wildcards filled in, the holder's value changed at its edges and in
// case, and unrelated names.
func candidates(p *Policy) []string {
	out := []string{other, "zz", self + "zz", "zz" + self, strings.ToUpper(self), "admin", "root@example.com"}
	for _, st := range p.Statements {
		for _, c := range st.Conditions {
			if !strings.EqualFold(c.Key, "sts:SourceIdentity") {
				continue
			}
			for _, v := range c.Values {
				lit, ok := resolve(v, map[string]string{"aws:username": self}, false)
				if !ok {
					lit = v
				}
				lit = strings.NewReplacer("${*}", "*", "${?}", "?", "${$}", "$").Replace(lit)
				for _, fill := range [][2]string{{"", "q"}, {"zz", "q"}, {other, "x"}} {
					out = append(out, strings.NewReplacer("*", fill[0], "?", fill[1]).Replace(lit))
				}
				out = append(out, strings.ToUpper(lit), lit+"zz", "zz"+lit)
			}
		}
	}
	return out
}

// resourceCandidates are the roles the policy names for STS actions, wildcards filled in.
func resourceCandidates(p *Policy) []string {
	seen := map[string]bool{}
	var out []string
	for _, st := range p.Statements {
		if st.NotResource {
			continue
		}
		for _, r := range st.Resources {
			c := strings.NewReplacer("*", "x", "?", "q").Replace(r)
			if r == "*" {
				c = "arn:aws:iam::111122223333:role/any-role"
			}
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	if len(out) == 0 {
		out = []string{"arn:aws:iam::111122223333:role/any-role"}
	}
	return out
}
