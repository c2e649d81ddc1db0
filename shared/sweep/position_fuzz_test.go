package sweep

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/source-identity-guard/source-identity-guard/shared/guard"
)

// FuzzSavedPosition feeds the Job whatever the position parameter may hold (it is writable by
// anyone with ssm:PutParameter): the sweep must never panic, must finish, and must report every
// role of the account exactly once when the saved position is unusable.
func FuzzSavedPosition(f *testing.F) {
	for _, seed := range []string{`{}`, `{"marker":"2","after":"r03"}`, `{"marker":"x"}`, `{"since":"2026-11-28T06:00:00Z"}`,
		`not json`, `{"marker":"4","after":"nobody"}`, ``, `null`, `{"marker":"-1"}`} {
		f.Add([]byte(seed))
	}
	roles := openRoles(f, 6)
	f.Fuzz(func(t *testing.T, saved []byte) {
		fake := newFake(2, roles...)
		store := &memStore{value: saved}
		j := &Job{Sweeper: &Sweeper{Roles: fake, Policy: guard.Policy{Mode: guard.ModeAudit}}, Positions: store, Publisher: &recordingBus{}}
		sum, err := j.Run(context.Background())
		if err != nil {
			t.Fatalf("Run with saved position %q: %v", saved, err)
		}
		if !sum.Completed || sum.Roles > len(roles) {
			t.Fatalf("saved %q: completed %v roles %d", saved, sum.Completed, sum.Roles)
		}
		var p Position
		if json.Unmarshal(saved, &p) != nil || p.IsStart() || sum.Restarted {
			// Unreadable, empty or rejected: the run starts from the first role.
			if sum.Roles != len(roles) {
				t.Fatalf("saved %q: %d roles reported; want all %d", saved, sum.Roles, len(roles))
			}
		}
		if string(store.value) != `{}` {
			t.Fatalf("saved %q: position after a complete run = %s; want {}", saved, store.value)
		}
	})
}

// FuzzSignedPosition is the same with the Signer the function uses: whatever the parameter holds,
// a run that was not given a position the sweep signed judges every role.
func FuzzSignedPosition(f *testing.F) {
	signer := hmacSigner{key: []byte("k")}
	body := []byte(`{"marker":"2","after":"r03"}`)
	mac, _ := signer.Sign(context.Background(), body)
	own, _ := json.Marshal(signedPosition{Position: body, MAC: mac})
	for _, seed := range [][]byte{own, body, []byte(`{}`), []byte(`{"position":{"marker":"2"},"mac":"AAAA"}`), []byte(`{"position":null,"mac":null}`)} {
		f.Add(seed)
	}
	roles := openRoles(f, 6)
	f.Fuzz(func(t *testing.T, saved []byte) {
		fake := newFake(2, roles...)
		j := &Job{Sweeper: &Sweeper{Roles: fake, Policy: guard.Policy{Mode: guard.ModeAudit}}, Positions: &memStore{value: saved},
			Publisher: &recordingBus{}, Signer: signer}
		sum, err := j.Run(context.Background())
		if err != nil {
			t.Fatalf("Run with saved position %q: %v", saved, err)
		}
		var sp signedPosition
		signed := json.Unmarshal(saved, &sp) == nil && len(sp.MAC) > 0 && len(sp.Position) > 0
		if signed {
			ok, _ := signer.Verify(context.Background(), sp.Position, sp.MAC)
			signed = ok
		}
		if !signed && sum.Roles != len(roles) {
			t.Fatalf("saved %q (not signed by the sweep): %d roles judged; want all %d", saved, sum.Roles, len(roles))
		}
	})
}
