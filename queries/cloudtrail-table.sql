-- CloudTrail table for Athena with the source identity readable, over a trail's S3 folder
-- (an organization trail: s3://BUCKET/AWSLogs/o-ORGID/; an account trail: s3://BUCKET/AWSLogs/).
-- Partition projection on account, region and day, so that no partition has to be added.
-- Replace LOCATION_PREFIX (ending in "/"), the account list, the region list and the start day.
--
-- Based on AWS's DDL ("Create the table for CloudTrail logs in Athena using partition projection",
-- https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html).
-- AWS's userIdentity.sessionContext struct has no sourceIdentity field; this one adds
-- `sourceidentity: STRING` to it (the JSON SerDe maps struct fields by name), which is what lets
-- a query follow a person's sessions: useridentity.sessioncontext.sourceidentity = 'alice'.
-- For AssumeRole* records the value is also in the JSON text columns:
-- json_extract_scalar(requestparameters, '$.sourceIdentity') and
-- json_extract_scalar(responseelements, '$.sourceIdentity').
CREATE EXTERNAL TABLE IF NOT EXISTS cloudtrail_sid (
  eventversion STRING,
  useridentity STRUCT<
    type: STRING, principalid: STRING, arn: STRING, accountid: STRING, invokedby: STRING,
    accesskeyid: STRING, username: STRING, identityprovider: STRING,
    onbehalfof: STRUCT<userid: STRING, identitystorearn: STRING>,
    sessioncontext: STRUCT<
      attributes: STRUCT<mfaauthenticated: STRING, creationdate: STRING>,
      sessionissuer: STRUCT<type: STRING, principalid: STRING, arn: STRING, accountid: STRING, username: STRING>,
      ec2roledelivery: STRING,
      webidfederationdata: STRUCT<federatedprovider: STRING, attributes: MAP<STRING, STRING>>,
      sourceidentity: STRING>>,
  eventtime STRING,
  eventsource STRING,
  eventname STRING,
  awsregion STRING,
  sourceipaddress STRING,
  useragent STRING,
  errorcode STRING,
  errormessage STRING,
  requestparameters STRING,
  responseelements STRING,
  additionaleventdata STRING,
  requestid STRING,
  eventid STRING,
  readonly STRING,
  resources ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>,
  eventtype STRING,
  apiversion STRING,
  recipientaccountid STRING,
  serviceeventdetails STRING,
  sharedeventid STRING,
  vpcendpointid STRING,
  eventcategory STRING)
PARTITIONED BY (account STRING, region STRING, `timestamp` STRING)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 'LOCATION_PREFIX'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.account.type' = 'enum',
  'projection.account.values' = '111122223333,444455556666',
  'projection.region.type' = 'enum',
  'projection.region.values' = 'us-east-1,eu-west-1',
  'projection.timestamp.type' = 'date',
  'projection.timestamp.format' = 'yyyy/MM/dd',
  'projection.timestamp.interval' = '1',
  'projection.timestamp.interval.unit' = 'DAYS',
  'projection.timestamp.range' = '2026/01/01,NOW',
  'storage.location.template' = 'LOCATION_PREFIX${account}/CloudTrail/${region}/${timestamp}');
