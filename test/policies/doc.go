// Package policies tests the organization policies shipped in policies/: they parse, fit the
// size quota, use only what SCPs and RCPs allow, and deny (or let through) the requests they
// are meant to.
package policies
