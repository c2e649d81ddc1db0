package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/source-identity-guard/source-identity-guard/shared/sessiontrail"
	"github.com/source-identity-guard/source-identity-guard/shared/trailfiles"
)

const trailArgs = "--source-identity VALUE [--format text|json] PATH..."

var trailCommand = &command{
	name:    "trail",
	args:    trailArgs,
	summary: "show what a person did through roles, by source identity, from CloudTrail log files",
	help: `Reads CloudTrail log files and prints, in time order, every event made by a role session
that carries the source identity VALUE (userIdentity.sessionContext.sourceIdentity: every call
of that session and of the sessions chained from it, in any account), and the AssumeRole,
AssumeRoleWithSAML and AssumeRoleWithWebIdentity calls that set it or passed it on. Failed
calls are included (with their errorCode). --format json prints one JSON object per event
(JSON Lines) with eventTime, eventID, eventSource, eventName, recipientAccountId, awsRegion,
role, assumedRole, principal, sourceIdentity, via (session, request or response), errorCode and file.

PATH is a file, a folder (walked recursively; .json and .json.gz files) or s3://bucket/prefix.
Read every account's trail (an organization trail has them all) to follow a person across
accounts. For the same question in Athena, see queries/ and docs/trail.md.

Exit status: 0 (whether or not events were found), 2 unusable input.`,
	maxArgs: math.MaxInt,
	setup: func(fs *flag.FlagSet) func(stdio, []string) int {
		format := addFormatFlag(fs)
		value := fs.String("source-identity", "", "The source identity `VALUE` to look for (exact match)")
		return func(std stdio, args []string) int {
			const name = "trail"
			if *value == "" {
				return usageError(std.err, name, trailArgs, "missing --source-identity VALUE")
			}
			if err := sessiontrail.Validate(*value); err != nil {
				return usageError(std.err, name, trailArgs, "--source-identity: "+err.Error())
			}
			if len(args) == 0 {
				return usageError(std.err, name, trailArgs, "missing PATH: name CloudTrail log files, folders or s3:// prefixes")
			}
			events, records, files, err := findSessionEvents(context.Background(), args, *value)
			if err != nil {
				fmt.Fprintf(std.err, "sidguard %s: %v\n", name, err)
				return exitUsage
			}
			if *format == formatJSON {
				err = writeTrailJSON(std.out, events)
				fmt.Fprintf(std.err, "sidguard %s: %s\n", name, trailSummary(events, *value, records, files))
			} else {
				err = writeTrailText(std.out, events, trailSummary(events, *value, records, files))
			}
			if err != nil {
				fmt.Fprintf(std.err, "sidguard %s: write output: %v\n", name, err)
				return exitUsage
			}
			return exitOK
		}
	},
}

// findSessionEvents returns the matching events sorted by time (then account and event id).
// Only matches are kept in memory.
func findSessionEvents(ctx context.Context, paths []string, value string) ([]sessiontrail.Event, int, int, error) {
	reader, files, err := trailInput(ctx, paths)
	if err != nil {
		return nil, 0, 0, err
	}
	workers := min(trailWorkers(), len(files))
	decs := newDecoders(workers)
	var mu sync.Mutex
	var events []sessiontrail.Event
	counts := make([]int, workers)
	err = reader.Scan(ctx, files, workers, func(worker int, f trailfiles.File, _ int, raw []byte) error {
		counts[worker]++
		rec, err := decs[worker].Decode(raw)
		if err != nil {
			return err
		}
		if via, ok := sessiontrail.Match(rec, value); ok {
			mu.Lock()
			events = append(events, sessiontrail.NewEvent(rec, value, via, f.Name))
			mu.Unlock()
		}
		return nil
	})
	if err != nil {
		return nil, 0, 0, err
	}
	sort.Slice(events, func(i, j int) bool {
		a, b := events[i], events[j]
		if a.EventTime != b.EventTime {
			return a.EventTime < b.EventTime
		}
		if a.RecipientAccountID != b.RecipientAccountID {
			return a.RecipientAccountID < b.RecipientAccountID
		}
		return a.EventID < b.EventID
	})
	records := 0
	for _, n := range counts {
		records += n
	}
	return events, records, len(files), nil
}

func trailSummary(events []sessiontrail.Event, value string, records, files int) string {
	accounts := map[string]bool{}
	for _, e := range events {
		accounts[e.RecipientAccountID] = true
	}
	list := make([]string, 0, len(accounts))
	for a := range accounts {
		list = append(list, a)
	}
	sort.Strings(list)
	s := fmt.Sprintf("%s with source identity %q in %s from %s", plural(len(events), "event"), value, plural(records, "record"), plural(files, "file"))
	if len(list) > 0 {
		s += " (accounts " + strings.Join(list, ", ") + ")"
	}
	return s
}

func writeTrailJSON(w io.Writer, events []sessiontrail.Event) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, e := range events {
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	return nil
}

func writeTrailText(w io.Writer, events []sessiontrail.Event, summary string) error {
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "%s  %s  %-9s  %s %s", e.EventTime, e.RecipientAccountID, e.AWSRegion, e.EventSource, e.EventName)
		if e.ErrorCode != "" {
			fmt.Fprintf(&b, " FAILED %s", e.ErrorCode)
		}
		switch e.Via {
		case sessiontrail.ViaSession:
			fmt.Fprintf(&b, "  as %s", e.Role)
			if e.AssumedRole != "" {
				fmt.Fprintf(&b, ", assuming %s", e.AssumedRole)
			}
		case sessiontrail.ViaRequest:
			fmt.Fprintf(&b, "  set it assuming %s, by %s", e.Role, e.Principal)
		case sessiontrail.ViaResponse:
			fmt.Fprintf(&b, "  passed it on assuming %s, by %s", e.Role, e.Principal)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%s.\n", summary)
	_, err := io.WriteString(w, b.String())
	return err
}
