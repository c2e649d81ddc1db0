// Package iaclint finds the IAM roles declared in infrastructure code and judges their trust
// policies with shared/trustpolicy before they are deployed: CloudFormation and SAM templates
// (YAML, with the short-form intrinsic tags, or JSON), CDK synth output (cdk.out/*.template.json
// is a CloudFormation JSON template) and Terraform plans in JSON (`terraform show -json`).
// It is pure: no AWS SDK, no network.
//
// # What counts as a role
//
//   - AWS::IAM::Role: Properties.AssumeRolePolicyDocument
//     (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-role.html).
//   - AWS::Serverless::Function with Properties.AssumeRolePolicyDocument, or the one in
//     Globals.Function: SAM creates the function's role with that trust policy
//     (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-function.html).
//     A function with Role (an existing role) or with neither gets SAM's default trust policy
//     for lambda.amazonaws.com, a service principal: nothing to report.
//   - Terraform aws_iam_role: assume_role_policy, a JSON string, in resource_changes[].change.after
//     (a role the plan deletes is skipped) or, for a plan without resource_changes,
//     planned_values.root_module and its child_modules (values.root_module in the JSON of a state)
//     (https://developer.hashicorp.com/terraform/internals/json-format).
//
// # Intrinsic functions are opaque, never guessed
//
// A value built with an intrinsic function (Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::If,
// Fn::ImportValue, ..., long form or the YAML tags !Ref, !GetAtt, !Sub, ...) is known only when
// the stack is deployed. iaclint does not resolve parameters, conditions or mappings:
//
//   - In a principal (Principal.AWS, .Service, .Federated), the value stands for one principal
//     of that class whose identity is unknown: an AWS principal is judged like any named IAM
//     principal (it must set a source identity under the rules), never as "*" and never as a
//     service. In a condition value it stands for one unknown string.
//   - The checker sees a placeholder; findings and the fixed policy show the intrinsic again,
//     in long form ({"Fn::GetAtt":["Builder","Arn"]}), which is valid in YAML templates too.
//   - Where the structure itself is built by an intrinsic (the whole document, the Statement
//     list, a statement, the Principal, Action or Effect, a Condition block) nothing can be
//     said before deploy: the role is reported as not compliant with an error that says why,
//     so that it is never counted as checked.
//   - A Terraform policy that is "known after apply" (after_unknown) is reported the same way.
//
// The size quota is checked on the text with placeholders, so for templates it is an estimate:
// the deployed policy has the resolved values.
//
// # Lines
//
// Every Role carries the line of its AssumeRolePolicyDocument (or assume_role_policy) key, from
// the YAML parser's node positions; JSON is parsed by the same YAML 1.2 parser, so JSON files
// get real lines too. Statement lines are kept for SARIF results.
package iaclint
