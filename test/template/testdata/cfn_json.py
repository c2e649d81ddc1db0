"""Print a plain CloudFormation YAML template as JSON (short-form tags such as !Ref become their
long forms), with the image's aws-sam-translator YAML loader. Nothing is transformed.

Usage: python3 cfn_json.py member-template.yaml > member.json
"""
import json
import sys

from samtranslator.yaml_helper import yaml_parse


def main(path):
    with open(path, encoding="utf-8") as f:
        json.dump(yaml_parse(f.read()), sys.stdout, indent=1, sort_keys=True, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
