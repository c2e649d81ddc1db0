// Package credprocess is the pure part of `sidguard credentials`, a credential_process helper
// that assumes a role with an STS source identity (SI): which value to send, whether STS's
// rules accept it, the process-credentials JSON the AWS SDKs and CLI read, and the on-disk
// cache that spares an AssumeRole on every CLI call. It imports no AWS SDK; the STS calls go
// through the STS interface, which shared/stssession implements.
//
// # Why a helper
//
// The AWS CLI and boto3 cannot set a source identity from a profile (role_arn profiles read
// role_session_name, external_id, mfa_serial, duration_seconds and source_profile only; the
// SDKs and Tools reference lists no source-identity setting:
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-assume-role-credentials.html). A
// profile with credential_process runs a program and reads credentials from its standard
// output (https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html),
// so the helper makes the AssumeRole call itself, with SourceIdentity set
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
//
// # Which value
//
// In this order (Choose):
//
//  1. --source-identity VALUE, sent as given.
//  2. --keep-source-identity: no SourceIdentity is sent. A role session that already carries a
//     source identity passes it on to the role it assumes, and STS refuses a different value
//     ("Once set, the source identity cannot be changed ... persists when a role is used to
//     assume another role", https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html).
//     The AssumeRole answer names the SI of the new session; credentials without one are
//     refused, never printed.
//  3. The base credentials are a session this helper made (a profile whose source_profile is
//     another sidguard profile): the cache recorded the SI it set, so the same value is sent.
//  4. The caller's own name from GetCallerIdentity: the IAM user name for an IAM user, the
//     session name for a role session.
//
// What cannot be known: whether a role session made by something else (aws-vault with
// source_identity, a SAML or OIDC provider sending one) already carries a source identity.
// GetCallerIdentity answers UserId, Account and Arn only
// (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html) and the
// assumed-role ARN holds the role and session names, not the SI. When such a session's SI
// differs from its session name, STS refuses step 4's value; the error then says to pass that
// value or --keep-source-identity. The helper does not retry on its own: a second AssumeRole
// without an SI would succeed on a role that does not yet require one and be counted in
// CloudTrail as an assumption without a source identity.
//
// The root user cannot assume roles and an STS federated-user session cannot call AssumeRole
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_request.html), so
// those callers get an error, not a guess.
//
// Every value is checked against STS's rules before it is sent: 2 to 64 characters of
// [\w+=,.@-], and not beginning with "aws:" (the STS API's sourceIdentityType; the colon is not
// allowed anyway). IAM user names and role session names use the same characters, so a derived
// value fails only when it is one character long.
//
// # Cache
//
// Credentials are kept in one file per request (Key: role, source profile, explicit SI, keep
// flag, external id, session name, duration, endpoint, region and the base access key id, so a
// changed profile or rotated key never gets someone else's session), written with mode 0600 in
// a 0700 directory under the user's cache directory, atomically (temporary file + rename). A
// file that is not the caller's own, or is readable by others, is ignored and replaced. An
// entry is used while more than RefreshMargin of it is left (capped at half its lifetime): the
// AWS CLI and botocore refresh process credentials 15 minutes before they expire, and handing
// them credentials inside that window would make them call the helper again at once.
package credprocess
