//go:build !unix

package trustpolicy

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
