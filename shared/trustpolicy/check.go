package trustpolicy

// Check returns the reasons d is not compliant under r (nil when it is).
func Check(d *Document, r Rules) []Finding {
	return nil
}
