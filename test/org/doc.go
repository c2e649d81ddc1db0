// Package org tests the organization-wide guardrail end to end: the real Enforce and Sweep
// bootstraps under the Lambda Runtime Interface Emulator, against moto_server holding an
// organization (the hub is its management account) with member accounts, one of which has no
// member role. A proxy between the functions and moto records every sts:AssumeRole and refuses
// the one for the account without the member role (moto itself would let it through).
package org
