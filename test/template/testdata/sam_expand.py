"""Expand a SAM template into plain CloudFormation with the image's aws-sam-translator.

Usage: python3 sam_expand.py template.yaml > expanded.json

This is the offline core of `sam validate`/`sam deploy`: the output holds the resources
CloudFormation would create (AWS::Lambda::Function, AWS::Events::Rule with its EventPattern, ...).
Intrinsic functions are left as they are. Local CodeUri values are replaced with a dummy S3 URI
because the translator requires one (sam build/package would upload the artifact).
"""
import json
import os
import sys

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class _NoManagedPolicies:
    def load(self):
        return {}


def main(path):
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            props = resource.setdefault("Properties", {})
            if not str(props.get("CodeUri", "")).startswith("s3://"):
                props["CodeUri"] = "s3://artifacts/bootstrap.zip"
    try:
        out = transform(template, {}, _NoManagedPolicies())
    except InvalidDocumentException as e:
        for cause in e.causes:
            print("sam_expand: %s" % cause.message, file=sys.stderr)
        return 2
    json.dump(out, sys.stdout, indent=1, sort_keys=True, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
