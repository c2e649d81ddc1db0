package main

import "github.com/source-identity-guard/source-identity-guard/shared/linediff"

// lineDiff is the before/after diff the demo prints.
func lineDiff(a, b []string) []string { return linediff.Lines(a, b) }
