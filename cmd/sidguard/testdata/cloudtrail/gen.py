# Writes the CloudTrail fixture logs in this folder (python3 gen.py). The records follow the shapes
# of the IAM guide's CloudTrail examples and published console switch-role records; account ids,
# keys and tokens are fake.
import json, gzip, os, uuid, hashlib
OUT = os.path.dirname(os.path.abspath(__file__))
A = "111122223333"; B = "444455556666"
n = [0]
def eid(tag):
    n[0] += 1
    h = hashlib.sha1(tag.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLETOKENdGhpcyBpcyBub3QgYSByZWFsIHRva2Vu" * 6
def creds():
    return {"accessKeyId": "ASIAEXAMPLEEXAMPLE01", "sessionToken": TOKEN, "expiration": "Nov 30, 2026 11:00:00 AM"}
def rec(tag, t, ident, src, name, ua, req, resp, recipient, region="us-east-1", ip="192.0.2.10", err=None, resources=None, etype="AwsApiCall", readonly=None, extra=None):
    r = {"eventVersion": "1.09", "userIdentity": ident, "eventTime": t, "eventSource": src, "eventName": name,
         "awsRegion": region, "sourceIPAddress": ip, "userAgent": ua}
    if err:
        r["errorCode"] = err[0]; r["errorMessage"] = err[1]
    r["requestParameters"] = req
    r["responseElements"] = resp
    if extra: r.update(extra)
    r["requestID"] = eid(tag + "req"); r["eventID"] = eid(tag)
    if readonly is not None: r["readOnly"] = readonly
    if resources: r["resources"] = resources
    r["eventType"] = etype; r["managementEvent"] = True; r["recipientAccountId"] = recipient
    r["eventCategory"] = "Management"
    return r
def role_res(arn):
    return [{"accountId": arn.split(":")[4], "type": "AWS::IAM::Role", "ARN": arn}]
def assume(tag, t, ident, role, session, ua, recipient, si=None, resp_si=None, err=None, ip="192.0.2.10", region="us-east-1", shared=None):
    req = {"roleArn": role, "roleSessionName": session}
    if si: req["sourceIdentity"] = si
    acct = role.split(":")[4]; name = role.rsplit("/", 1)[-1]
    resp = None
    if not err:
        resp = {"credentials": creds(), "assumedRoleUser": {"assumedRoleId": "AROAEXAMPLEROLEID0001:" + session, "arn": f"arn:aws:sts::{acct}:assumed-role/{name}/{session}"}}
        if resp_si or si: resp["sourceIdentity"] = resp_si or si
    extra = {"sharedEventID": shared} if shared else None
    return rec(tag, t, ident, "sts.amazonaws.com", "AssumeRole", ua, req, resp, recipient, err=err, ip=ip, region=region,
               resources=role_res(role), readonly=True, extra=extra)
def user(acct, name, uid):
    return {"type": "IAMUser", "principalId": uid, "arn": f"arn:aws:iam::{acct}:user/{name}", "accountId": acct, "accessKeyId": "AKIAEXAMPLE" + uid[-9:], "userName": name}
def session(acct, path_role, roleid, sess, si=None, created="2026-11-30T09:00:00Z"):
    name = path_role.rsplit("/", 1)[-1]
    sc = {"sessionIssuer": {"type": "Role", "principalId": roleid, "arn": f"arn:aws:iam::{acct}:role/{path_role}", "accountId": acct, "userName": name},
          "attributes": {"creationDate": created, "mfaAuthenticated": "false"}}
    if si: sc["sourceIdentity"] = si
    return {"type": "AssumedRole", "principalId": f"{roleid}:{sess}", "arn": f"arn:aws:sts::{acct}:assumed-role/{name}/{sess}", "accountId": acct, "accessKeyId": "ASIAEXAMPLESESSION01", "sessionContext": sc}
CLI = "aws-cli/2.15.0 md/awscrt#0.19.19 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#debian.12 md/prompt#off md/command#sts.assume-role"
BOTO = "Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.6 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.0"
TF = "APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.70.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.30.5 ua/2.0 os/linux lang/go#1.22.7 md/GOOS#linux md/GOARCH#amd64 api/sts#1.30.7"
GHA = "aws-sdk-js/3.600.0 ua/2.1 os/linux#6.5.0-1025-azure lang/js md/nodejs#20.13.1 api/sts#3.600.0 configure-aws-credentials-for-github-actions"
CHROME = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
DEPLOYER = f"arn:aws:iam::{A}:role/ci/deployer"
READER = f"arn:aws:iam::{A}:role/reader"
ADMIN = f"arn:aws:iam::{A}:role/admin"
AUDIT = f"arn:aws:iam::{B}:role/audit"
files = {}
# --- account A, us-east-1, 2026-11-30
a = []
a.append(assume("alice-first-hop", "2026-11-30T09:00:00Z", user(A, "alice", "AIDAEXAMPLEALICE0001"), DEPLOYER, "alice-session", CLI, A, si="alice"))
a.append(rec("alice-describe", "2026-11-30T09:01:00Z", session(A, "ci/deployer", "AROAEXAMPLEDEPLOYER1", "alice-session", si="alice"), "ec2.amazonaws.com", "DescribeInstances", CLI, {"instancesSet": {}, "filterSet": {}}, None, A, readonly=True))
a.append(assume("alice-chain-reader", "2026-11-30T09:02:00Z", session(A, "ci/deployer", "AROAEXAMPLEDEPLOYER1", "alice-session", si="alice"), READER, "alice-reader", BOTO, A))
a.append(rec("alice-listbuckets", "2026-11-30T09:03:00Z", session(A, "reader", "AROAEXAMPLEREADER001", "alice-reader", si="alice"), "s3.amazonaws.com", "ListBuckets", BOTO, {"Host": "s3.amazonaws.com"}, None, A, readonly=True))
# cross-account caller (owner side): AWSAccount, no source identity
a.append(assume("xacct-owner-side", "2026-11-29T14:00:00Z", {"type": "AWSAccount", "principalId": "AIDAEXAMPLEBUILDBOT1", "accountId": B}, DEPLOYER, "build-42", CLI, A, shared="b1a2c3d4-0000-4000-8000-00000000beef"))
a.append(assume("xacct-owner-side-2", "2026-11-30T14:00:00Z", {"type": "AWSAccount", "principalId": "AIDAEXAMPLEBUILDBOT1", "accountId": B}, DEPLOYER, "build-43", CLI, A, shared="b1a2c3d4-0000-4000-8000-00000000bee2"))
# terraform with a source identity
a.append(assume("tf-reader", "2026-11-28T08:00:00Z", user(A, "terraform", "AIDAEXAMPLETERRAFORM"), READER, "terraform", TF, A, si="terraform"))
# AWS service caller (dropped)
a.append(rec("lambda-exec", "2026-11-30T10:00:00Z", {"type": "AWSService", "invokedBy": "lambda.amazonaws.com"}, "sts.amazonaws.com", "AssumeRole", "lambda.amazonaws.com",
             {"roleArn": f"arn:aws:iam::{A}:role/service-role/fn-exec", "roleSessionName": "fn"}, {"credentials": creds(), "assumedRoleUser": {"assumedRoleId": "AROAEXAMPLEFNEXEC001:fn", "arn": f"arn:aws:sts::{A}:assumed-role/fn-exec/fn"}},
             A, ip="lambda.amazonaws.com", resources=role_res(f"arn:aws:iam::{A}:role/service-role/fn-exec"), readonly=True))
# failed call (dropped)
a.append(assume("denied", "2026-11-30T11:00:00Z", user(A, "mallory", "AIDAEXAMPLEMALLORY01"), f"arn:aws:iam::{A}:role/locked", "m", CLI, A,
                err=("AccessDenied", f"User: arn:aws:iam::{A}:user/mallory is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::{A}:role/locked")))
# console switch-role into admin: the AssumeRole made by AWS Internal (owner side) and the SwitchRole sign-in event
a.append(assume("console-assume", "2026-11-30T12:00:00Z", {"type": "AWSAccount", "principalId": "AIDAEXAMPLEBOBCONSOL", "accountId": B}, ADMIN, "bob", "AWS Internal", A, ip="AWS Internal", shared="c0c0c0c0-0000-4000-8000-000000000001"))
a.append(rec("console-switch", "2026-11-30T12:00:00Z", {"type": "AssumedRole", "principalId": "AROAEXAMPLEADMIN0001:bob", "arn": f"arn:aws:sts::{A}:assumed-role/admin/bob", "accountId": A},
             "signin.amazonaws.com", "SwitchRole", CHROME, None, {"SwitchRole": "Success"}, A, ip="198.51.100.7", etype="AwsConsoleSignIn", readonly=False,
             extra={"additionalEventData": {"SwitchFrom": f"arn:aws:iam::{B}:user/bob", "RedirectTo": "https://us-east-1.console.aws.amazon.com/console/home?region=us-east-1"}}))
# an assumption outside the window (40 days before --now)
a.append(assume("old", "2026-10-22T10:00:00Z", user(A, "carol", "AIDAEXAMPLECAROL0001"), f"arn:aws:iam::{A}:role/old", "carol", CLI, A))
files[f"AWSLogs/{A}/CloudTrail/us-east-1/2026/11/30/{A}_CloudTrail_us-east-1_20261130T1200Z_fixture01.json"] = a
# --- account A, eu-west-1 (regional STS endpoint), gzip: SAML and web identity
e = []
e.append(rec("saml", "2026-11-27T07:00:00Z", {"type": "SAMLUser", "principalId": "SampleUkh1i4+ExamplexL/jEvs=:dana@example.com", "userName": "dana@example.com", "identityProvider": "bdGOnTesti4+ExamplexL/jEvs="},
             "sts.amazonaws.com", "AssumeRoleWithSAML", "aws-cli/2.15.0 md/command#sts.assume-role-with-saml",
             {"sAMLAssertionID": "_c0046cEXAMPLEb9d4b8eEXAMPLE2619aEXAMPLE", "roleSessionName": "dana@example.com", "sourceIdentity": "dana@example.com", "durationSeconds": 3600,
              "roleArn": f"arn:aws:iam::{A}:role/saml-admins", "principalArn": f"arn:aws:iam::{A}:saml-provider/Okta"},
             {"subjectType": "transient", "issuer": "http://www.okta.com/exk", "sourceIdentity": "dana@example.com", "credentials": creds(),
              "assumedRoleUser": {"assumedRoleId": "AROAEXAMPLESAML00001:dana@example.com", "arn": f"arn:aws:sts::{A}:assumed-role/saml-admins/dana@example.com"}, "audience": "https://signin.aws.amazon.com/saml"},
             A, region="eu-west-1", resources=role_res(f"arn:aws:iam::{A}:role/saml-admins") + [{"accountId": A, "type": "AWS::IAM::SAMLProvider", "ARN": f"arn:aws:iam::{A}:saml-provider/Okta"}], readonly=True))
e.append(rec("webid", "2026-11-30T16:00:00Z", {"type": "WebIdentityUser", "principalId": f"arn:aws:iam::{A}:oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:repo:example/app:ref:refs/heads/main", "userName": "repo:example/app:ref:refs/heads/main", "identityProvider": f"arn:aws:iam::{A}:oidc-provider/token.actions.githubusercontent.com"},
             "sts.amazonaws.com", "AssumeRoleWithWebIdentity", GHA,
             {"roleArn": f"arn:aws:iam::{A}:role/gha-deploy", "roleSessionName": "GitHubActions", "durationSeconds": 3600},
             {"credentials": creds(), "subjectFromWebIdentityToken": "repo:example/app:ref:refs/heads/main", "assumedRoleUser": {"assumedRoleId": "AROAEXAMPLEGHA000001:GitHubActions", "arn": f"arn:aws:sts::{A}:assumed-role/gha-deploy/GitHubActions"}, "provider": f"arn:aws:iam::{A}:oidc-provider/token.actions.githubusercontent.com", "audience": "sts.amazonaws.com"},
             A, region="eu-west-1", ip="203.0.113.40", resources=role_res(f"arn:aws:iam::{A}:role/gha-deploy"), readonly=True))
files[f"AWSLogs/{A}/CloudTrail/eu-west-1/2026/11/30/{A}_CloudTrail_eu-west-1_20261130T1600Z_fixture02.json.gz"] = e
# --- account B: the caller side of the cross-account calls (skipped by readiness), alice's cross-account chain
b = []
b.append(assume("xacct-caller-side", "2026-11-29T14:00:00Z", user(B, "build-bot", "AIDAEXAMPLEBUILDBOT1"), DEPLOYER, "build-42", CLI, B, shared="b1a2c3d4-0000-4000-8000-00000000beef"))
# alice's deployer session (source identity alice) assumes audit in account B: owner-side record in B's trail
b.append(assume("alice-xacct-audit", "2026-11-30T09:05:00Z", {"type": "AWSAccount", "principalId": "AROAEXAMPLEDEPLOYER1:alice-session", "accountId": A}, AUDIT, "alice-audit", CLI, B, resp_si="alice"))
b.append(rec("alice-audit-call", "2026-11-30T09:06:00Z", session(B, "audit", "AROAEXAMPLEAUDIT0001", "alice-audit", si="alice"), "cloudtrail.amazonaws.com", "LookupEvents", CLI, {"maxResults": 50}, None, B, readonly=True))
b.append(rec("bob-call", "2026-11-30T09:07:00Z", session(B, "audit", "AROAEXAMPLEAUDIT0001", "bob-audit", si="bob"), "cloudtrail.amazonaws.com", "LookupEvents", CLI, {"maxResults": 50}, None, B, readonly=True))
b.append(rec("nosi-call", "2026-11-30T09:08:00Z", user(B, "build-bot", "AIDAEXAMPLEBUILDBOT1"), "s3.amazonaws.com", "ListBuckets", CLI, {"Host": "s3.amazonaws.com"}, None, B, readonly=True))
files[f"AWSLogs/{B}/CloudTrail/us-east-1/2026/11/30/{B}_CloudTrail_us-east-1_20261130T1000Z_fixture03.json"] = b
for path, recs in files.items():
    full = os.path.join(OUT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    data = json.dumps({"Records": recs}, indent=None).encode()
    if path.endswith(".gz"):
        with open(full, "wb") as f:
            f.write(gzip.compress(data, mtime=0))
    else:
        open(full, "wb").write(data)
print("ok")
