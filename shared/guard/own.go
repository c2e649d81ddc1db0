package guard

import (
	"encoding/json"
	"reflect"
	"strings"
)

// The guard's own roles (the execution roles of the enforce and sweep functions) are not
// exempt by name: whoever changes their trust policy to trust themselves would get the guard's
// permissions. The guard compares their trust policy with the one the stack gives them
// (OwnTrustPolicy, the document template.yaml declares; a template test keeps the two equal):
// the same document is exempt ("the guard's own role"), any other is Tampered, published and
// alarmed, and restored in allow and require modes (audit writes nothing). Restoring is safe:
// the document written is a constant of this package, never taken from an event or a role.

// OwnRole is one of the guard's roles and the trust policy the stack gives it.
type OwnRole struct {
	Name        string
	TrustPolicy []byte
}

// OwnTrustPolicy is the trust policy template.yaml gives the guard's execution roles in
// account: only Lambda, and only on behalf of this account.
func OwnTrustPolicy(account string) []byte {
	return []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},` +
		`"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"` + account + `"}}}]}`)
}

// ownRole returns the guard's role named name (IAM role names are unique ignoring case).
func (p Policy) ownRole(name string) (OwnRole, bool) {
	for _, o := range p.OwnRoles {
		if strings.EqualFold(o.Name, name) {
			return o, true
		}
	}
	return OwnRole{}, false
}

// SamePolicy reports whether two policy documents are the same JSON value once a one-element
// list and its element are treated alike (IAM and CloudFormation may write either).
func SamePolicy(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(normalize(va), normalize(vb))
}

func normalize(v any) any {
	switch v := v.(type) {
	case []any:
		if len(v) == 1 {
			return normalize(v[0])
		}
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = normalize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = normalize(e)
		}
		return out
	}
	return v
}
