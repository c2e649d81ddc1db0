package main

import (
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

var versionCommand = &command{
	name:    "version",
	args:    "",
	summary: "print the version of sidguard",
	setup: func(fs *flag.FlagSet) func(stdio, []string) int {
		return func(std stdio, _ []string) int {
			fmt.Fprintln(std.out, versionString())
			return exitOK
		}
	},
}

// versionString is "sidguard <module version>[ <vcs revision>[+dirty]] <go version>".
func versionString() string {
	version, revision, dirty := "(devel)", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	s := "sidguard " + version
	if revision != "" {
		s += " " + revision[:min(12, len(revision))]
		if dirty {
			s += "+dirty"
		}
	}
	return s + " " + runtime.Version()
}
