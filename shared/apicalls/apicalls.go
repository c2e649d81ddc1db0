// Package apicalls counts the AWS API calls an SDK client sends, by service and operation.
//
// The counter sits in the Finalize step after the retry middleware, so it sees every HTTP
// attempt: a throttled call that the SDK retries twice counts three times. Attach it to a
// client with config.WithAPIOptions(counter.APIOptions()) or per client through Options.APIOptions.
//
// Next to shared/harness/callcount: apicalls counts inside the process that makes the calls (the Sweep
// function reports its own calls, sidguard scan its own), with no extra hop and no emulator;
// callcount counts from outside, between processes, where the caller cannot be instrumented.
package apicalls

import (
	"context"
	"maps"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
)

// Counter counts attempts by "Service.Operation" (e.g. "IAM.ListRoles"). The zero value is
// ready to use and safe for concurrent use.
type Counter struct {
	mu     sync.Mutex
	counts map[string]int
}

// APIOptions returns the stack mutator to append to a client's APIOptions.
func (c *Counter) APIOptions() []func(*middleware.Stack) error {
	return []func(*middleware.Stack) error{c.addMiddleware}
}

func (c *Counter) addMiddleware(stack *middleware.Stack) error {
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("apicalls.Count",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			c.Add(awsmiddleware.GetServiceID(ctx)+"."+awsmiddleware.GetOperationName(ctx), 1)
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

// Add adds n to the count of op.
func (c *Counter) Add(op string, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = make(map[string]int)
	}
	c.counts[op] += n
}

// Snapshot returns a copy of the counts.
func (c *Counter) Snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.counts)
}
