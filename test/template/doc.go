// Package template tests template.yaml, the SAM template the project deploys: cfn-lint, its
// structure after the SAM transform (aws-sam-translator, the offline core of `sam deploy`), and
// the EventBridge pattern CloudFormation would deploy, put on a moto_server rule and fed events
// from every kind of actor.
package template
