// Package htmlreport turns the JSON Lines that `sidguard scan --format json` and `sidguard
// readiness --format json` print into one self-contained HTML page: a headline, every account
// worst first, the open roles with what the guard would do about them, readiness for require
// and the page's provenance. It is pure: it decodes, summarises and renders (html/template);
// it links no AWS SDK.
//
//	in, err := htmlreport.Decode("scan.jsonl", f)      // errors wrap ErrUnusable
//	rep := htmlreport.Build([]htmlreport.Input{in}, htmlreport.Options{Generated: time.Now()})
//	err = htmlreport.Render(w, rep)
//
// # Input
//
// A record is told from its fields: a scan record has "decision"; a readiness record has
// "assumptions" and "ready". Unknown fields are ignored (the producers may add more); a value
// the guard never produces (a decision or mode outside shared/guard's, an account that is not
// 12 digits, negative counts, times that are not RFC 3339, patched in mode audit) makes the
// input unusable rather than miscounted. A scan record without "account" (a single-account
// `sidguard scan`) belongs to the account in its role ARN (arn:aws:iam::ACCOUNT:role/...,
// the account that owns the role); a record that has neither belongs to an account the page
// calls UnknownAccount. A role described twice (same ARN) counts once, from the last record.
//
// # Requiring, allowing, open
//
// The page counts a role from its scan record's decision and mode alone, as shared/guard
// defines them (guard.Policy.Decide):
//
//   - Decide first checks every role against require, whatever the mode, and calls a role that
//     passes compliant with the reason ReasonRequires. So compliant in mode audit or require
//     (audit judges as require) means the trust policy requires a source identity; so does
//     compliant in mode allow with that reason. patched in mode require: the guard wrote a
//     policy that requires one.
//   - compliant in mode allow with another reason ("allows a source identity (mode allow)"):
//     every AWS principal may pass a source identity, and the record does not show that one is
//     required. patched in mode allow: the guard wrote such a policy. These are "allow only".
//   - would-patch, unfixable, failed and tampered are open: the guard would still change the role
//     (audit, or scan without --fix), a person must act, the guard could not read or write it,
//     or one of the guard's own roles no longer has the trust policy its stack gives it.
//   - exempt roles are judged but left alone; skipped roles (deleted during the scan, not ours)
//     are not among the roles judged.
//
// Shares are of the roles judged, with one decimal that never rounds a part to 0% or 100%
// (Share). A would-patch role whose only finding is missing-source-identity-condition already
// lets callers pass a source identity, but the page counts it as open, not allowing: the
// headline answers "what does the guard still have to do", and the account table and open-role
// list show the findings.
//
// # Fixes
//
// Scan records carry the findings, not the fixed policy. The page groups an account's open
// roles by decision, mode, reason and finding codes and says what the guard does for each code
// (trustpolicy.Fix: add sts:SetSourceIdentity; add the sts:SourceIdentity condition) or what a
// person must do (deny-conflict, condition-conflict, wildcard-principal, too-large,
// unique-id-principal), never a policy it has not seen. Messages of fixable findings repeat
// their code, statement and principals, so the page shows those; other findings show their
// message.
//
// # The page
//
// One file: inline CSS, inline SVG charts (role="img" with a title and a text description; the
// legend and the tables say the same in text, and patterns as well as colours tell the parts
// apart), no script, font or image fetched. Tables have captions and th scope. It reflows on a
// phone (tables scroll sideways inside their region) and prints (every section is laid out;
// content-visibility only defers off-screen accounts on screen).
package htmlreport
