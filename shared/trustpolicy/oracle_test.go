package trustpolicy

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestOracle cross-checks Evaluate against an independent implementation of IAM policy
// evaluation, @cloud-copilot/iam-simulate (AGPL-3.0, test-only, never shipped), on every golden
// policy before and after Fix, for a grid of callers, actions and contexts. It runs only when
// asked to (TRUSTPOLICY_ORACLE=1) and the oracle is installed: `make engine-oracle` does both
// (npm ci in testdata/oracle, then this test).
func TestOracle(t *testing.T) {
	if os.Getenv("TRUSTPOLICY_ORACLE") != "1" {
		t.Skip("set TRUSTPOLICY_ORACLE=1 (or run make engine-oracle) to cross-check Evaluate against iam-simulate")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not installed: the iam-simulate cross-check needs Node.js 20+")
	}
	dir := filepath.Join("testdata", "oracle")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@cloud-copilot", "iam-simulate")); err != nil {
		t.Fatal("iam-simulate not installed: run `make engine-oracle` (npm ci in testdata/oracle)")
	}
	type request struct {
		Principal string            `json:"principal"`
		Action    string            `json:"action"`
		Context   map[string]string `json:"context"`
	}
	type oracleCase struct {
		Policy   json.RawMessage `json:"policy"`
		Requests []request       `json:"requests"`
	}
	var (
		cases []oracleCase
		names []string
		docs  []*Document
	)
	var ctxs []map[string]string
	// Only global keys and sts:SourceIdentity: iam-simulate drops context keys that the Service
	// Authorization Reference does not list for the action (sts:ExternalId, SAML:aud, ... are
	// absent when it evaluates sts:SetSourceIdentity or sts:TagSession). IAM evaluates the
	// request's context for every action of the call: AWS's own policies rely on it (the IAM
	// guide's OIDC example allows sts:SetSourceIdentity under a condition on
	// server.example.com:aud; IAM Identity Center grants sts:TagSession under SAML:aud), so
	// Evaluate keeps every key, and the cross-check avoids the keys where the two differ.
	for _, base := range []map[string]string{{}, {"aws:PrincipalOrgID": "o-abc123"}, {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/ops-1", "aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "60"}} {
		for _, si := range []string{"", "aa", "alice@example.com", "DevUser"} {
			c := map[string]string{}
			for k, v := range base {
				c[k] = v
			}
			if si != "" {
				c["sts:SourceIdentity"] = si
			}
			ctxs = append(ctxs, c)
		}
	}
	oracleCallers := append(slicesClone(callers), "AWS:arn:aws:iam::444455556666:role/app", "AWS:arn:aws:iam::111122223333:user/a")
	for _, base := range goldenCases(t) {
		in, r := loadCase(t, base)
		d, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		fixed, _ := Fix(d, r)
		for i, doc := range []*Document{d, fixed} {
			if i == 1 && fixed == d {
				continue
			}
			oc := oracleCase{Policy: mustMarshal(t, doc)}
			for _, caller := range oracleCallers {
				for _, action := range []string{parseCaller(caller).class.assumeAction(), actSetSourceIdentity} {
					for _, ctx := range ctxs {
						oc.Requests = append(oc.Requests, request{Principal: caller[strings.IndexByte(caller, ':')+1:], Action: action, Context: ctx})
					}
				}
			}
			cases = append(cases, oc)
			names = append(names, filepath.Base(base)+[]string{" (input)", " (fixed)"}[i])
			docs = append(docs, doc)
		}
	}
	// Plus generated policies (the property tests' vocabulary), before and after Fix.
	generated := 0
	rapid.Check(t, func(rt *rapid.T) {
		if generated == 60 {
			return
		}
		generated++
		text := genPolicy(rt)
		r := genRules(rt)
		d, err := Parse([]byte(text))
		if err != nil {
			rt.Fatalf("generated policy does not parse: %v", err)
		}
		fixed, _ := Fix(d, r)
		for i, doc := range []*Document{d, fixed} {
			oc := oracleCase{Policy: mustMarshal(rt, doc)}
			for _, caller := range oracleCallers {
				for _, action := range []string{parseCaller(caller).class.assumeAction(), actSetSourceIdentity} {
					for _, ctx := range ctxs {
						oc.Requests = append(oc.Requests, request{Principal: caller[strings.IndexByte(caller, ':')+1:], Action: action, Context: ctx})
					}
				}
			}
			cases = append(cases, oc)
			names = append(names, "generated"+[]string{" (input)", " (fixed)"}[i])
			docs = append(docs, doc)
		}
	})
	input, err := json.Marshal(map[string]any{"role": "arn:aws:iam::111122223333:role/target", "account": "111122223333", "cases": cases})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, "oracle.mjs")
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("oracle: %v\n%s", err, stderr.String())
	}
	var results [][]string
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("oracle output: %v", err)
	}
	total, mismatches, refused := 0, 0, 0
	for i, oc := range cases {
		for j, req := range oc.Requests {
			ctx := map[string][]string{}
			for k, v := range req.Context {
				ctx[k] = []string{v}
			}
			caller := oracleCallers[j/(2*len(ctxs))]
			if !oracleComparable(docs[i], caller) {
				continue
			}
			total++
			got := Evaluate(docs[i], Request{Principal: caller, Action: req.Action, Context: ctx})
			want := results[i][j]
			if strings.HasPrefix(want, "error: ") {
				// iam-simulate refuses some policies IAM's grammar leaves open (unknown
				// elements such as "Comment"); nothing to compare.
				refused++
				continue
			}
			if oracleName(got.Decision) != want {
				mismatches++
				if mismatches <= 20 {
					t.Errorf("%s: %s %s %v: Evaluate = %s, iam-simulate = %s\npolicy %s", names[i], caller, req.Action, req.Context, got.Decision, want, oc.Policy)
				}
			}
		}
	}
	t.Logf("iam-simulate cross-check: %d requests over %d policies, %d mismatches, %d refused by iam-simulate, %s", total, len(cases), mismatches, refused, time.Since(start).Round(time.Millisecond))
	if refused > total/4 {
		t.Errorf("iam-simulate refused %d of %d requests", refused, total)
	}
}

// oracleComparable: iam-simulate infers a principal's type from its text, so it takes a SAML or
// OIDC provider ARN of account A for a principal of account A; STS never matches a federated
// caller against AWS principals. Skip federated callers on policies that name their account
// or {"AWS":"*"}.
//
// iam-simulate also lets {"AWS":"*"} match service principals; Evaluate (like Fix, which patches
// {"AWS":"*"} as an AWS principal) treats it as AWS principals only. Skip service callers on
// policies that use it.
func oracleComparable(d *Document, caller string) bool {
	c := parseCaller(caller)
	if c.kind == "Service" {
		for i := range d.stmts {
			for _, p := range d.stmts[i].principals {
				if p.class == classAWSAny {
					return false
				}
			}
		}
		return true
	}
	if c.kind != "Federated" {
		return true
	}
	_, _, acct, _, _ := splitARN(c.value)
	for i := range d.stmts {
		for _, p := range d.stmts[i].principals {
			if p.kind == "AWS" && (p.class == classAWSAny || p.account() == acct) {
				return false
			}
		}
	}
	return true
}

func oracleName(d Decision) string {
	switch d {
	case DecisionAllow:
		return "Allowed"
	case DecisionExplicitDeny:
		return "ExplicitlyDenied"
	}
	return "ImplicitlyDenied"
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }
