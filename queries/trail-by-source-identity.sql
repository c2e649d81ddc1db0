-- What did a person do through roles: the events of every role session that carries the source
-- identity, and the AssumeRole* calls that set it or passed it on, across accounts and regions
-- of the cloudtrail_sid table (queries/cloudtrail-table.sql). The same question as
-- `sidguard trail --source-identity VALUE PATH...`. Run it with the value as the parameter (the
-- Athena console asks for it; or EXECUTE ... USING 'alice' after PREPARE). Adjust the days.
WITH wanted AS (SELECT ? AS si)
SELECT t.eventtime, t.eventid, t.eventsource, t.eventname, t.recipientaccountid, t.awsregion,
       t.useridentity.sessioncontext.sessionissuer.arn AS role,
       json_extract_scalar(t.requestparameters, '$.roleArn') AS assumed_role,
       coalesce(t.useridentity.arn, 'account ' || t.useridentity.accountid) AS principal,
       CASE WHEN t.useridentity.sessioncontext.sourceidentity = w.si THEN 'session'
            WHEN json_extract_scalar(t.requestparameters, '$.sourceIdentity') = w.si THEN 'request'
            ELSE 'response' END AS via,
       t.errorcode
FROM cloudtrail_sid t CROSS JOIN wanted w
WHERE t."timestamp" >= date_format(current_date - interval '30' day, '%Y/%m/%d')
  AND (t.useridentity.sessioncontext.sourceidentity = w.si
       OR (t.eventsource = 'sts.amazonaws.com'
           AND t.eventname IN ('AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity')
           AND (json_extract_scalar(t.requestparameters, '$.sourceIdentity') = w.si
                OR json_extract_scalar(t.responseelements, '$.sourceIdentity') = w.si)))
ORDER BY t.eventtime, t.recipientaccountid, t.eventid
