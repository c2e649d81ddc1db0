package trustpolicy

// STS actions the engine reasons about.
const (
	actAssumeRole                = "sts:AssumeRole"
	actAssumeRoleWithSAML        = "sts:AssumeRoleWithSAML"
	actAssumeRoleWithWebIdentity = "sts:AssumeRoleWithWebIdentity"
	actSetSourceIdentity         = "sts:SetSourceIdentity"
	actTagSession                = "sts:TagSession"
	actSetContext                = "sts:SetContext"
)

// Condition keys.
const (
	keySTSSourceIdentity = "sts:SourceIdentity"
	keyAWSSourceIdentity = "aws:SourceIdentity"
)

// covers reports whether the statement's Action (or NotAction) grants action.
func (st *statement) covers(action string) bool {
	m := false
	eachString(st.actions, func(a string) bool {
		m = wildMatch(a, action, true)
		return !m
	})
	return m != st.notAction
}

// wildMatch matches s against pattern with '*' (any run) and '?' (one character). With fold,
// ASCII letters compare case-insensitively (IAM action names are case-insensitive).
func wildMatch(pattern, s string, fold bool) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && (pattern[p] == '?' || eqByte(pattern[p], s[i], fold)):
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func eqByte(a, b byte, fold bool) bool {
	if a == b {
		return true
	}
	if !fold {
		return false
	}
	if 'A' <= a && a <= 'Z' {
		a += 'a' - 'A'
	}
	if 'A' <= b && b <= 'Z' {
		b += 'a' - 'A'
	}
	return a == b
}
