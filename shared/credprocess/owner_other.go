//go:build !unix

package credprocess

import "io/fs"

// ownedByMe: file ownership is not checked where there are no Unix owners.
func ownedByMe(fs.FileInfo) bool { return true }
