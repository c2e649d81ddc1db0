package eventbus_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/source-identity-guard/source-identity-guard/shared/eventbus"
)

// printingBus prints the size of each PutEvents call and accepts every entry.
type printingBus struct{}

func (printingBus) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	fmt.Println("PutEvents with", len(in.Entries), "entries; first detail:", *in.Entries[0].Detail)
	return &eventbridge.PutEventsOutput{}, nil
}

func ExamplePublisher_Publish() {
	bus := eventbus.New(printingBus{}, "guard-events")
	var entries []eventbus.Entry
	for i := range 12 {
		entries = append(entries, eventbus.Entry{
			Source:     "source-identity-guard",
			DetailType: "Trust Policy Decision",
			Detail:     map[string]any{"role": fmt.Sprintf("r%d", i), "note": "a<b&c"},
		})
	}
	entries = append(entries, eventbus.Entry{Source: "source-identity-guard", DetailType: "Too Big",
		Detail: map[string]string{"blob": strings.Repeat("x", eventbus.DefaultMaxSize)}})

	failed, err := bus.Publish(context.Background(), entries)
	fmt.Println("failed:", failed, errors.Is(err, eventbus.ErrTooLarge))
	// Output:
	// PutEvents with 10 entries; first detail: {"note":"a<b&c","role":"r0"}
	// PutEvents with 2 entries; first detail: {"note":"a<b&c","role":"r10"}
	// failed: 1 true
}

func ExampleEntrySize() {
	fmt.Println(eventbus.EntrySize("source-identity-guard", "Trust Policy Decision", `{"role":"é"}`, []string{"arn:aws:iam::111122223333:role/x"}))
	// Output: 87
}
