package lambdaemu_test

import (
	"context"
	"fmt"

	"github.com/source-identity-guard/source-identity-guard/shared/harness/lambdaemu"
)

// Build a function as the template deploys it and run it under the emulator (the demo and the
// end-to-end tests do this against moto_server; see motoserver.Server.Env).
func Example() {
	ctx := context.Background()
	boot, err := lambdaemu.Build(ctx, "./functions/enforce", "build/example")
	if err != nil {
		fmt.Println(err)
		return
	}
	emu, err := lambdaemu.Run(ctx, lambdaemu.Config{Bootstrap: boot, Env: []string{"MODE=audit", "AWS_ENDPOINT_URL=http://127.0.0.1:5000"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer emu.Stop()
	inv, err := emu.Invoke(ctx, []byte(`{"source":"aws.iam"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	if f := inv.Failure(); f != "" {
		fmt.Println("failed:", f)
		return
	}
	fmt.Printf("%s in %v; init %v\n", inv.Payload, inv.Latency, emu.InitDurations())
}

func ExampleFunctionError() {
	fmt.Println(lambdaemu.FunctionError([]byte(`{"errorMessage":"get role \"x\": throttled","errorType":"wrapError"}`)))
	fmt.Println(lambdaemu.FunctionError([]byte(`{"role":"x","decision":"compliant"}`)) == "")
	// Output:
	// wrapError: get role "x": throttled
	// true
}
