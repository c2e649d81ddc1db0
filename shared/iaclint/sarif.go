package iaclint

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/source-identity-guard/source-identity-guard/shared/sarif"
	"github.com/source-identity-guard/source-identity-guard/shared/trustpolicy"
)

// Rule ids of results that have no finding code of the engine.
const (
	RuleUnanalysable = "unanalysable-policy" // built at deploy time: cannot be checked before
	RuleMalformed    = "malformed-policy"    // a policy IAM would reject, or none
)

// SARIFRules describes RuleUnanalysable and RuleMalformed (the engine's codes are described by
// the caller, as `sidguard scan` does).
func SARIFRules() []sarif.Rule {
	tags := map[string]any{"tags": []string{"security", "iam", "source-identity"}}
	return []sarif.Rule{
		{ID: RuleUnanalysable, Name: RuleUnanalysable, ShortDescription: &sarif.Message{Text: "The trust policy is built at deploy time"},
			Help:                 &sarif.Message{Text: "The policy's structure comes from an intrinsic function (Fn::If, ...) or is known only after apply: check the deployed role with sidguard check, or write the statements out."},
			DefaultConfiguration: &sarif.Configuration{Level: sarif.LevelWarning}, Properties: tags},
		{ID: RuleMalformed, Name: RuleMalformed, ShortDescription: &sarif.Message{Text: "The trust policy is malformed or missing"},
			Help:                 &sarif.Message{Text: "IAM would reject this trust policy; see the message."},
			DefaultConfiguration: &sarif.Configuration{Level: sarif.LevelError}, Properties: tags},
	}
}

// AddSARIF adds one SARIF result per finding of r (or one for its error) to log; a compliant
// role adds none. URIs are the file paths with forward slashes, as given (relative paths are
// resolved against the repository root by code-scanning dashboards).
func AddSARIF(log *sarif.Log, r Result) {
	uri := filepath.ToSlash(strings.TrimPrefix(r.File, "./"))
	loc := func(line, column int) []sarif.Location {
		if line < 1 {
			line = 1
		}
		return []sarif.Location{{
			PhysicalLocation: &sarif.PhysicalLocation{ArtifactLocation: sarif.ArtifactLocation{URI: uri}, Region: &sarif.Region{StartLine: line, StartColumn: column}},
			LogicalLocations: []sarif.LogicalLocation{{Name: r.Resource, Kind: "resource"}},
		}}
	}
	props := map[string]any{"resource": r.Resource, "type": r.Type, "mode": r.Mode}
	if r.Error != "" {
		id, level := RuleUnanalysable, sarif.LevelWarning
		if r.Unusable() {
			id, level = RuleMalformed, sarif.LevelError
		}
		log.Add(sarif.Result{RuleID: id, Level: level, Locations: loc(r.Line, r.Column), Properties: props,
			Message:             sarif.Message{Text: fmt.Sprintf("%s (%s): %s.", r.Resource, r.Type, r.Error)},
			PartialFingerprints: map[string]string{"resource/ruleId": r.Resource + "/" + id}})
		return
	}
	for _, f := range r.Findings {
		line, column := r.Line, r.Column
		if f.Statement >= 0 && f.Statement < len(r.StatementLines) {
			line, column = r.StatementLines[f.Statement], 0
		}
		level := sarif.LevelError
		if f.Code == trustpolicy.CodeMissingSetSourceIdentity || f.Code == trustpolicy.CodeMissingCondition {
			level = sarif.LevelWarning
		}
		if f.Code == trustpolicy.CodeUniqueIDPrincipal {
			level = sarif.LevelNote
		}
		msg := fmt.Sprintf("%s (%s): %s.", r.Resource, r.Type, strings.TrimSuffix(f.Message, "."))
		if f.Fixed {
			msg += " sidguard lint --format json shows the fixed policy."
		}
		log.Add(sarif.Result{RuleID: string(f.Code), Level: level, Locations: loc(line, column), Properties: props,
			Message:             sarif.Message{Text: msg},
			PartialFingerprints: map[string]string{"resource/ruleId/statement": fmt.Sprintf("%s/%s/%d", r.Resource, f.Code, f.Statement)}})
	}
}
