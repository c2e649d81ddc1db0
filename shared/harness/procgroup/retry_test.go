package procgroup

import (
	"context"
	"errors"
	"testing"
)

func TestRetry(t *testing.T) {
	t.Parallel()
	busy := errors.New("port taken")
	tests := []struct {
		name      string
		failures  int // start fails this many times first
		cancel    bool
		wantCalls int
		wantErr   bool
	}{
		{"first try", 0, false, 1, false},
		{"second try", 1, false, 2, false},
		{"gives up after StartTries", StartTries, false, StartTries, true},
		{"stops when the context is done", StartTries, true, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tt.cancel {
				cancel()
			}
			calls := 0
			got, err := Retry(ctx, func() (int, error) {
				calls++
				if calls <= tt.failures {
					return 0, busy
				}
				return 7, nil
			})
			if calls != tt.wantCalls || (err != nil) != tt.wantErr {
				t.Fatalf("calls %d, err %v; want %d calls, error %v", calls, err, tt.wantCalls, tt.wantErr)
			}
			if tt.wantErr && !errors.Is(err, busy) {
				t.Errorf("err = %v, want the last start error", err)
			}
			if !tt.wantErr && got != 7 {
				t.Errorf("got %d, want 7", got)
			}
		})
	}
}
