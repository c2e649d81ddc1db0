package trustpolicy

// Exposure is one principal that can assume the role without a source identity.
type Exposure struct {
	Statement int      `json:"statement"`
	SID       string   `json:"sid,omitempty"`
	Principal string   `json:"principal"` // "AWS:arn:...", "Service:...", "Federated:...", or "*"
	Class     string   `json:"class"`     // e.g. "IAM role", "AWS service", "SAML provider"
	Mode      Mode     `json:"mode"`      // what the rules do for this principal
	Actions   []string `json:"actions"`   // assume actions it can call without a source identity
	Reason    string   `json:"reason"`    // why no source identity is needed, in plain words
}

// Explain lists who can assume the role without a source identity, and why.
func Explain(d *Document, r Rules) []Exposure {
	return nil
}
