package trustpolicy

import "strings"

// class is what a principal value denotes.
type class uint8

const (
	classWildcard      class = iota // "Principal": "*"
	classAWSAny                     // {"AWS": "*"}
	classAccount                    // 12-digit id or arn:...:iam::ACCOUNT:root
	classRole                       // arn:...:iam::ACCOUNT:role/...
	classUser                       // arn:...:iam::ACCOUNT:user/...
	classSession                    // arn:...:sts::ACCOUNT:assumed-role/...
	classFederatedUser              // arn:...:sts::ACCOUNT:federated-user/...
	classUniqueID                   // AROA.../AIDA... left by a deleted principal
	classAWSOther                   // any other AWS value
	classService                    // {"Service": ...}
	classSAML                       // {"Federated": "arn:...:saml-provider/..."}
	classOIDC                       // {"Federated": oidc-provider ARN or a built-in web identity provider}
	classCanonicalUser              // {"CanonicalUser": ...}: S3 only, never matches an STS caller
)

var classNames = [...]string{
	classWildcard:      "anyone (bare \"*\")",
	classAWSAny:        "any AWS principal",
	classAccount:       "AWS account",
	classRole:          "IAM role",
	classUser:          "IAM user",
	classSession:       "role session",
	classFederatedUser: "federated user",
	classUniqueID:      "unique id of a deleted principal",
	classAWSOther:      "AWS principal",
	classService:       "AWS service",
	classSAML:          "SAML provider",
	classOIDC:          "OIDC provider",
	classCanonicalUser: "canonical user",
}

func (c class) String() string { return classNames[c] }

// isAWS reports whether the class is an AWS (IAM) principal: the ones Rules.Mode applies to.
func (c class) isAWS() bool { return c >= classAWSAny && c <= classAWSOther }

// isFederated reports a SAML or OIDC provider.
func (c class) isFederated() bool { return c == classSAML || c == classOIDC }

// assumeAction is the STS action a principal of this class calls to assume the role.
func (c class) assumeAction() string {
	switch {
	case c.isAWS(), c == classService:
		return actAssumeRole
	case c == classSAML:
		return actAssumeRoleWithSAML
	case c == classOIDC:
		return actAssumeRoleWithWebIdentity
	}
	return ""
}

func classify(kind, v string) class {
	switch kind {
	case "Service":
		return classService
	case "CanonicalUser":
		return classCanonicalUser
	case "Federated":
		if strings.HasPrefix(v, "arn:") && strings.Contains(v, ":saml-provider/") {
			return classSAML
		}
		return classOIDC
	}
	if v == "*" {
		return classAWSAny
	}
	if IsAccountID(v) {
		return classAccount
	}
	if isUniqueID(v) {
		return classUniqueID
	}
	_, svc, acct, res, ok := splitARN(v)
	if !ok || acct == "" {
		return classAWSOther
	}
	switch {
	case svc == "iam" && res == "root":
		return classAccount
	case svc == "iam" && strings.HasPrefix(res, "role/"):
		return classRole
	case svc == "iam" && strings.HasPrefix(res, "user/"):
		return classUser
	case svc == "sts" && strings.HasPrefix(res, "assumed-role/"):
		return classSession
	case svc == "sts" && strings.HasPrefix(res, "federated-user/"):
		return classFederatedUser
	}
	return classAWSOther
}

// IsAccountID reports whether v is a 12-digit AWS account id: the one check the project uses
// (principals, settings, CloudTrail records, account-scoped clients).
func IsAccountID(v string) bool {
	if len(v) != 12 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// isUniqueID recognises IAM unique ids (AROA role, AIDA user, and the other 4-letter prefixes),
// which IAM shows in place of a principal that was deleted after the policy was saved.
func isUniqueID(v string) bool {
	if len(v) < 16 || len(v) > 128 {
		return false
	}
	switch v[:4] {
	case "AROA", "AIDA", "AGPA", "ANPA", "ANVA", "ASIA", "AKIA", "APKA", "ABIA", "ACCA", "AIPA":
	default:
		return false
	}
	for i := 4; i < len(v); i++ {
		c := v[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// account returns the account id a principal value belongs to ("" when unknown).
func (p principal) account() string {
	if p.kind != "AWS" {
		return ""
	}
	if IsAccountID(p.value) {
		return p.value
	}
	if _, _, acct, _, ok := splitARN(p.value); ok && IsAccountID(acct) {
		return acct
	}
	return ""
}

// splitARN splits arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE without allocating.
func splitARN(v string) (partition, service, account, resource string, ok bool) {
	if !strings.HasPrefix(v, "arn:") {
		return "", "", "", "", false
	}
	var f [4]string
	rest := v[4:]
	for i := range f {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return "", "", "", "", false
		}
		f[i], rest = rest[:j], rest[j+1:]
	}
	return f[0], f[1], f[3], rest, true
}

// entity is what a role, user or role-session principal ARN names.
type entity struct {
	partition, account string
	typ                string // "role", "user" or "assumed-role"
	path               string // role/user path between the type and the name ("/" or "/a/b/"); sessions: ""
	name               string // role or user name (for a session: its role's name)
	session            string // role session name
}

// entityOf splits a role, user or session ARN. IAM role and user names are unique in an account
// ignoring letter case (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html:
// "Role names are not distinguished by case"), so two ARNs whose names differ only in case name
// the same entity: callers compare names with strings.EqualFold.
func entityOf(p principal) (entity, bool) {
	switch p.class {
	case classRole, classUser, classSession:
	default:
		return entity{}, false
	}
	part, _, acct, res, ok := splitARN(p.value)
	if !ok {
		return entity{}, false
	}
	e := entity{partition: part, account: acct}
	slash := strings.IndexByte(res, '/')
	e.typ, res = res[:slash], res[slash+1:]
	if e.typ == "assumed-role" {
		e.name, e.session, _ = strings.Cut(res, "/")
		return e, true
	}
	last := strings.LastIndexByte(res, '/')
	e.path, e.name = "/"+res[:last+1], res[last+1:]
	return e, true
}

// sameEntity reports whether two principal values surely name the same caller set: the same
// text, or the same role/user/session with names equal ignoring case (paths and session names
// compared exactly).
func sameEntity(a, b principal) bool {
	if a.kind != b.kind {
		return false
	}
	if a.value == b.value {
		return true
	}
	ea, oka := entityOf(a)
	eb, okb := entityOf(b)
	return oka && okb && ea.partition == eb.partition && ea.account == eb.account && ea.typ == eb.typ &&
		strings.EqualFold(ea.name, eb.name) && ea.path == eb.path && ea.session == eb.session
}

// roleCovers reports whether role principal r names every session of session principal s (a
// role ARN in a trust policy matches the role's sessions).
func roleCovers(r, s principal) bool {
	er, ok1 := entityOf(r)
	es, ok2 := entityOf(s)
	return ok1 && ok2 && er.typ == "role" && es.typ == "assumed-role" && er.partition == es.partition &&
		er.account == es.account && strings.EqualFold(er.name, es.name)
}

// overlaps reports whether the principal sets named by a and b may share a caller. It is used to
// decide whether a Deny may apply to the principals of an Allow, so it errs towards true: names
// compare ignoring case and paths are ignored (a name is unique in its account whatever the
// path).
func overlaps(a, b principal) bool {
	if a.kind != b.kind {
		return false
	}
	if a.value == b.value || a.class == classAWSAny || b.class == classAWSAny {
		return true
	}
	if a.kind != "AWS" {
		return false
	}
	aa, ba := a.account(), b.account()
	if aa == "" || ba == "" || aa != ba {
		return false
	}
	if a.class == classAccount || b.class == classAccount {
		return true
	}
	ea, oka := entityOf(a)
	eb, okb := entityOf(b)
	if !oka || !okb || !strings.EqualFold(ea.name, eb.name) {
		return false
	}
	switch {
	case ea.typ == eb.typ:
		return ea.typ != "assumed-role" || ea.session == eb.session
	case ea.typ == "role" && eb.typ == "assumed-role", ea.typ == "assumed-role" && eb.typ == "role":
		return true // a role and the sessions of that role
	}
	return false
}

// matchesCaller reports whether the statement principal p names the caller c (a principal as
// the request presents it: an ARN, account id or service/provider name). Used by Evaluate.
// Role and user names compare ignoring case, as IAM's names are unique ignoring case.
func matchesCaller(p principal, c principal) bool {
	if p.kind != c.kind {
		return false
	}
	if p.value == c.value || p.class == classAWSAny {
		return true
	}
	if p.kind != "AWS" {
		return false
	}
	if p.class == classAccount {
		return p.account() == c.account() && samePartition(p, c)
	}
	return sameEntity(p, c) || roleCovers(p, c)
}
