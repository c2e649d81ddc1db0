// Package sarif holds the subset of the SARIF 2.1.0 object model (OASIS Static Analysis Results
// Interchange Format) that code-scanning dashboards read, and writes a log as JSON.
//
// Only the fields the project fills are modelled; see
// https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html for their meaning.
package sarif

import (
	"encoding/json"
	"io"
)

// Version and Schema are the values of a 2.1.0 log's "version" and "$schema".
const (
	Version = "2.1.0"
	Schema  = "https://json.schemastore.org/sarif-2.1.0.json"
)

// Levels of a result.
const (
	LevelError   = "error"
	LevelWarning = "warning"
	LevelNote    = "note"
)

// Log is a SARIF log file.
type Log struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []Run  `json:"runs"`
}

// Run is one run of one tool.
type Run struct {
	Tool Tool `json:"tool"`
	// Invocations says whether the run completed; a failed run has executionSuccessful false
	// and says why in a notification (SARIF 2.1.0 section 3.20).
	Invocations []Invocation `json:"invocations,omitempty"`
	Results     []Result     `json:"results"` // present (maybe empty) so a clean run says so
	// Properties carries tool-specific data, e.g. the scan summary.
	Properties map[string]any `json:"properties,omitempty"`
}

// Invocation describes one run of the tool.
type Invocation struct {
	ExecutionSuccessful        bool           `json:"executionSuccessful"`
	ToolExecutionNotifications []Notification `json:"toolExecutionNotifications,omitempty"`
}

// Notification is a message about the tool's execution, e.g. why it failed.
type Notification struct {
	Level   string  `json:"level"`
	Message Message `json:"message"`
}

// Tool names the analysis tool.
type Tool struct {
	Driver Driver `json:"driver"`
}

// Driver is the tool component that produced the results.
type Driver struct {
	Name           string `json:"name"`
	Version        string `json:"version,omitempty"`
	InformationURI string `json:"informationUri,omitempty"`
	Rules          []Rule `json:"rules"`
}

// Rule (a reportingDescriptor) describes one kind of result.
type Rule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name,omitempty"`
	ShortDescription     *Message       `json:"shortDescription,omitempty"`
	FullDescription      *Message       `json:"fullDescription,omitempty"`
	Help                 *Message       `json:"help,omitempty"`
	DefaultConfiguration *Configuration `json:"defaultConfiguration,omitempty"`
	Properties           map[string]any `json:"properties,omitempty"`
}

// Configuration is a rule's default configuration.
type Configuration struct {
	Level string `json:"level"`
}

// Message is a plain-text message.
type Message struct {
	Text string `json:"text"`
}

// Result is one finding.
type Result struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             Message           `json:"message"`
	Locations           []Location        `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints,omitempty"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

// Location places a result; for a cloud resource, a logical location (and optionally a
// physical one that dashboards needing a file path can show).
type Location struct {
	PhysicalLocation *PhysicalLocation `json:"physicalLocation,omitempty"`
	LogicalLocations []LogicalLocation `json:"logicalLocations,omitempty"`
}

// PhysicalLocation names an artifact and, optionally, a region of it.
type PhysicalLocation struct {
	ArtifactLocation ArtifactLocation `json:"artifactLocation"`
	Region           *Region          `json:"region,omitempty"`
}

// Region is a part of an artifact; lines and columns count from 1 (code-scanning dashboards
// show StartLine).
type Region struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

// ArtifactLocation is a URI reference (relative ones are resolved against the repository root).
type ArtifactLocation struct {
	URI string `json:"uri"`
}

// LogicalLocation names a non-file location, such as a cloud resource.
type LogicalLocation struct {
	Name               string `json:"name,omitempty"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind,omitempty"`
}

// New returns a log with one run of driver and no results yet.
func New(driver Driver) *Log {
	if driver.Rules == nil {
		driver.Rules = []Rule{}
	}
	return &Log{Schema: Schema, Version: Version, Runs: []Run{{Tool: Tool{Driver: driver}, Results: []Result{}}}}
}

// RuleIndex returns the index of the rule with id in the first run's driver, adding a rule with
// just that id when there is none.
func (l *Log) RuleIndex(id string) int {
	d := &l.Runs[0].Tool.Driver
	for i, r := range d.Rules {
		if r.ID == id {
			return i
		}
	}
	d.Rules = append(d.Rules, Rule{ID: id})
	return len(d.Rules) - 1
}

// Add appends a result to the first run, setting its RuleIndex from its RuleID.
func (l *Log) Add(r Result) {
	r.RuleIndex = l.RuleIndex(r.RuleID)
	if r.Locations == nil {
		r.Locations = []Location{}
	}
	l.Runs[0].Results = append(l.Runs[0].Results, r)
}

// Write writes the log as indented JSON, without HTML escaping.
func (l *Log) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(l)
}
