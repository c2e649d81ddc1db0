package trustpolicy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Shared helpers of the example tests: one-statement policies for role a, cases that pin
// Fix's codes and output, cases that pin Check's codes.

// Edge cases found in an adversarial review of the engine. Each case pins the codes Fix reports
// and the exact fixed policy ("" when Fix must leave the policy as is).
const roleA = `"arn:aws:iam::111122223333:role/a"`

// stmtA builds a one-statement policy for role a with the given Action member and Condition
// (empty: none).
func stmtA(action, cond string) string {
	s := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":` + roleA + `},` + action
	if cond != "" {
		s += `,"Condition":` + cond
	}
	return s + `}]}`
}

type reviewCase struct {
	name  string
	rules Rules
	in    string
	codes []Code // codes of Fix's findings, in order
	out   string // the fixed policy; "" when Fix must return its input
}

func runReviewCases(t *testing.T, cases []reviewCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse([]byte(tc.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			fixed, fs := Fix(d, tc.rules)
			var codes []Code
			for _, f := range fs {
				codes = append(codes, f.Code)
			}
			if diff := cmp.Diff(tc.codes, codes); diff != "" {
				t.Errorf("codes (-want +got):\n%s\nfindings: %+v", diff, fs)
			}
			switch {
			case tc.out == "" && fixed != d:
				t.Errorf("Fix changed the policy, want it left as is:\n%s", fixed)
			case tc.out != "":
				if diff := cmp.Diff(tc.out, fixed.String()); diff != "" {
					t.Errorf("fixed policy (-want +got):\n%s", diff)
				}
			}
			checkInvariants(t, d, tc.rules)
		})
	}
}

func mustParse(t *testing.T, s string) *Document {
	t.Helper()
	d, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, s)
	}
	return d
}

// verdictCase is one policy whose Check codes are pinned.
type verdictCase struct {
	name  string
	rules Rules
	in    string
	want  []Code
}

func runVerdicts(t *testing.T, tests []verdictCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustParse(t, tt.in)
			var got []Code
			for _, f := range Check(d, tt.rules) {
				got = append(got, f.Code)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check codes (-want +got):\n%s", diff)
			}
			checkInvariants(t, d, tt.rules)
		})
	}
}
