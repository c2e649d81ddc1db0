"""A minimal Python + boto3 remediation Lambda: the alternative the benchmark compares with.

Same job as the Enforce function on the benchmark's events: read the role named in a CloudTrail
CreateRole / UpdateAssumeRolePolicy event, and when an Allow statement trusts AWS principals
without sts:SetSourceIdentity and a sts:SourceIdentity condition, add them, write the policy back
and publish one decision event. boto3 clients are created at init, as such functions do.

awslambdaric (AWS's Python runtime client) is not installed on this machine and PyPI is not
reachable, so the runtime loop below talks to the Lambda Runtime API directly with urllib: it is
lighter than awslambdaric, which favours this baseline, not the Go function.
"""
import json
import os
import urllib.parse
import urllib.request

import boto3

iam = boto3.client("iam")
events = boto3.client("events")
BUS = os.environ.get("FINDINGS_BUS_NAME", "default")


def compliant(stmt):
    if stmt.get("Effect") != "Allow" or "AWS" not in (stmt.get("Principal") or {}):
        return True
    actions = stmt.get("Action", [])
    actions = [actions] if isinstance(actions, str) else actions
    cond = stmt.get("Condition", {})
    has_cond = any("sts:SourceIdentity" in v for v in cond.values())
    return "sts:SetSourceIdentity" in actions and has_cond


def fix(stmt):
    actions = stmt.get("Action", [])
    actions = [actions] if isinstance(actions, str) else list(actions)
    if "sts:SetSourceIdentity" not in actions:
        actions.append("sts:SetSourceIdentity")
    stmt["Action"] = actions
    stmt.setdefault("Condition", {}).setdefault("StringLike", {})["sts:SourceIdentity"] = "*"


def handler(event):
    detail = event.get("detail") or {}
    if detail.get("errorCode"):
        return {"decision": "skipped"}
    name = (detail.get("requestParameters") or {}).get("roleName")
    role = iam.get_role(RoleName=name)["Role"]
    doc = role["AssumeRolePolicyDocument"]
    if isinstance(doc, str):
        doc = json.loads(urllib.parse.unquote(doc))
    stmts = doc["Statement"] if isinstance(doc["Statement"], list) else [doc["Statement"]]
    bad = [s for s in stmts if not compliant(s)]
    if not bad:
        return {"role": name, "decision": "compliant"}
    for s in bad:
        fix(s)
    doc["Statement"] = stmts
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(doc, separators=(",", ":")))
    events.put_events(Entries=[{
        "Source": "source-identity-guard", "DetailType": "Trust Policy Decision",
        "Detail": json.dumps({"roleName": name, "decision": "patched"}), "EventBusName": BUS,
    }])
    return {"role": name, "decision": "patched"}


def main():
    api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
    while True:
        with urllib.request.urlopen(api + "next") as r:
            request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
            event = json.loads(r.read())
        try:
            body, path = json.dumps(handler(event)).encode(), request_id + "/response"
        except Exception as e:  # noqa: BLE001 - report every failure to the runtime API
            body = json.dumps({"errorMessage": str(e), "errorType": type(e).__name__}).encode()
            path = request_id + "/error"
        urllib.request.urlopen(urllib.request.Request(api + path, data=body, method="POST")).read()


if __name__ == "__main__":
    main()
