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
