package callerpolicy

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseCheck: any input either fails to parse or is checked without panicking, and a
// verdict never says OK without roles.
func FuzzParseCheck(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "cmd", "sidguard", "testdata", "callers", "*.json"))
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"sts:SourceIdentity":"${aws:username, 'x'}${*}"}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			return
		}
		for _, h := range []Holder{HolderUser, HolderRoleSession} {
			v := Check(p, h, nil)
			if v.OK && len(v.Roles) == 0 {
				t.Fatal("OK without roles")
			}
		}
	})
}
