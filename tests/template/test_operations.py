"""Operating the stack in a real account, checked in the template as AWS would deploy it: every
alarm reaches someone, every function is watched, the API is throttled and logged, scheduled
runs retry and dead-letter, and the user pool (whose ids every balance hangs on) cannot be lost."""

from __future__ import annotations

import pytest

from local import stack


@pytest.fixture(scope="module")
def cfn():
    return stack.transformed_template()


def of_type(cfn, type_):
    return {k: v for k, v in cfn["Resources"].items() if v["Type"] == type_}


def test_every_alarm_notifies_the_alarm_topic(cfn):
    alarms = of_type(cfn, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 30
    for name, alarm in alarms.items():
        assert {"Ref": "AlarmTopic"} in alarm["Properties"].get("AlarmActions", []), name
    assert of_type(cfn, "AWS::SNS::Topic").keys() == {"AlarmTopic"}
    subscription = cfn["Resources"]["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_has_an_errors_and_a_throttles_alarm(cfn, metric):
    watched = {
        alarm["Properties"]["Dimensions"][0]["Value"]["Ref"]
        for alarm in of_type(cfn, "AWS::CloudWatch::Alarm").values()
        if (alarm["Properties"].get("Namespace"), alarm["Properties"].get("MetricName"))
        == ("AWS/Lambda", metric)
    }
    functions = set(of_type(cfn, "AWS::Lambda::Function"))
    assert functions and functions <= watched, f"no {metric} alarm for {sorted(functions - watched)}"


def test_a_missing_audit_or_close_watch_is_an_alarm_not_silence(cfn):
    res = cfn["Resources"]
    for name in ("AuditMissingAlarm", "MonthCloseNotStartedAlarm"):
        assert res[name]["Properties"]["TreatMissingData"] == "breaching", name
    audit = res["AuditMissingAlarm"]["Properties"]
    # 25 hourly periods with no completed audit: the daily run, and an hour's slack.
    assert (audit["Period"], audit["EvaluationPeriods"], audit["DatapointsToAlarm"]) == (3600, 25, 25)
    assert (audit["Statistic"], audit["ComparisonOperator"], audit["Threshold"]) == (
        "SampleCount",
        "LessThanThreshold",
        1,
    )


def test_scheduled_runs_retry_and_dead_letter_into_an_alarmed_queue(cfn):
    res = cfn["Resources"]
    schedules = of_type(cfn, "AWS::Scheduler::Schedule")
    assert len(schedules) == 4  # the close, the watch, the audit and the fold
    dlq = {"Fn::GetAtt": ["ScheduleDeadLetterQueue", "Arn"]}
    for name, schedule in schedules.items():
        target = schedule["Properties"]["Target"]
        assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1, name
        assert target["DeadLetterConfig"] == {"Arn": dlq}, name
        # It invokes the function's alias (the published version, which SnapStart can restore).
        alias = res[target["Arn"]["Ref"]]["Properties"]
        function = alias["FunctionName"]["Ref"]
        # Scheduler invokes asynchronously: a run that fails is retried by Lambda, then dead-lettered.
        config = res[f"{function}EventInvokeConfig"]["Properties"]
        assert config["Qualifier"] == alias["Name"], name
        assert config["MaximumRetryAttempts"] == 2
        assert config["DestinationConfig"]["OnFailure"]["Destination"] == dlq
    alarmed = {
        a["Properties"]["Dimensions"][0]["Value"].get("Fn::GetAtt", [None])[0]
        for a in of_type(cfn, "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
    }
    assert {"ScheduleDeadLetterQueue", "SettleDeadLetterQueue"} <= alarmed
    assert "AWS::Events::Rule" not in {r["Type"] for r in res.values()}


def test_the_month_close_schedule_passes_its_scheduled_time(cfn):
    close = next(
        s
        for s in of_type(cfn, "AWS::Scheduler::Schedule").values()
        if s["Properties"]["ScheduleExpression"] == "cron(5 0 1 * ? *)"
    )
    # A retry an hour late still closes the month the schedule meant.
    assert "<aws.scheduler.scheduled-time>" in close["Properties"]["Target"]["Input"]


def test_the_api_is_throttled_by_parameters_on_every_route_and_tighter_on_writes(cfn):
    params = stack.sam_template()["Parameters"]
    for name in ("ApiRateLimit", "ApiBurstLimit", "WriteRateLimit", "WriteBurstLimit"):
        assert params[name]["Type"] == "Number" and params[name]["MinValue"] >= 1
    stage = next(iter(of_type(cfn, "AWS::ApiGatewayV2::Stage").values()))["Properties"]
    assert stage["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": {"Ref": "ApiBurstLimit"},
        "ThrottlingRateLimit": {"Ref": "ApiRateLimit"},
    }
    writes = {
        f"{method} {path}"
        for method, path, _, _ in stack.http_routes()
        if method not in ("GET", "HEAD", "OPTIONS") and path != "$default"
    }
    assert "POST /things/{thing_id}/flattr" in writes and "POST /things" in writes
    missing = writes - set(stage["RouteSettings"])
    assert not missing, (
        f"add these routes to HttpApi's RouteSettings in infra/template.yaml: {sorted(missing)}"
    )
    for key, setting in stage["RouteSettings"].items():
        assert key in writes, f"RouteSettings names a route that does not exist: {key}"
        assert setting == {
            "ThrottlingBurstLimit": {"Ref": "WriteBurstLimit"},
            "ThrottlingRateLimit": {"Ref": "WriteRateLimit"},
        }, key


def test_the_api_writes_an_access_log_with_retention(cfn):
    stage = next(iter(of_type(cfn, "AWS::ApiGatewayV2::Stage").values()))["Properties"]
    log = stage["AccessLogSettings"]
    assert log["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}
    for field in ("$context.requestId", "$context.routeKey", "$context.status", "$context.identity.sourceIp"):
        assert field in log["Format"]
    assert cfn["Resources"]["ApiAccessLogs"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_custom_domains_and_waf_are_optional_and_tls_1_2(cfn):
    res = cfn["Resources"]
    for name in ("ApiDomain", "ApiDomainMapping"):
        assert res[name]["Condition"] == "HasApiDomain"
    assert res["ApiDomain"]["Properties"]["DomainNameConfigurations"][0]["SecurityPolicy"] == "TLS_1_2"
    config = res["WidgetDistribution"]["Properties"]["DistributionConfig"]
    condition, custom, default = config["ViewerCertificate"]["Fn::If"]
    assert condition == "HasPagesDomain"
    assert custom["MinimumProtocolVersion"] == "TLSv1.2_2021" and custom["SslSupportMethod"] == "sni-only"
    assert default == {"CloudFrontDefaultCertificate": True}
    assert config["WebACLId"]["Fn::If"][0] == "HasWebAcl"
    params = stack.sam_template()["Parameters"]
    for name in ("ApiDomainName", "PagesDomainName", "WebAclArn"):
        assert params[name]["Default"] == "", name  # off unless asked for


def test_the_waf_template_has_a_rate_based_rule_for_cloudfront():
    from samtranslator.yaml_helper import yaml_parse

    waf = yaml_parse((stack.ROOT / "infra" / "waf.yaml").read_text())
    acl = next(r for r in waf["Resources"].values() if r["Type"] == "AWS::WAFv2::WebACL")["Properties"]
    assert acl["Scope"] == "CLOUDFRONT"
    assert any("RateBasedStatement" in rule["Statement"] for rule in acl["Rules"])


def test_the_user_pool_cannot_be_lost_and_offers_totp(cfn):
    pool = stack.sam_template()["Resources"]["UserPool"]
    assert pool["DeletionPolicy"] == "Retain" and pool["UpdateReplacePolicy"] == "Retain"
    props = pool["Properties"]
    assert props["DeletionProtection"] == "ACTIVE"
    assert props["MfaConfiguration"] == {"Ref": "TotpMfa"}
    assert stack.sam_template()["Parameters"]["TotpMfa"]["AllowedValues"] == ["OFF", "OPTIONAL"]
    assert props["EnabledMfas"]["Fn::If"][1] == ["SOFTWARE_TOKEN_MFA"]
    ses = props["EmailConfiguration"]["Fn::If"]
    assert ses[0] == "HasSesSender" and ses[1]["EmailSendingAccount"] == "DEVELOPER"
    assert ses[2] == {"EmailSendingAccount": "COGNITO_DEFAULT"}


def test_the_local_stack_drops_what_moto_does_not_model():
    types = {r["Type"] for r in stack.expanded_template()["Resources"].values()}
    assert not {t for t in types if t.startswith(("AWS::Scheduler::", "AWS::CloudWatch::Alarm"))}
    assert {"AWS::SNS::Topic", "AWS::SQS::Queue", "AWS::Logs::LogGroup"} <= types


def test_deploys_set_a_stack_policy_that_refuses_to_replace_the_pool_or_the_table():
    from local import publish

    deny = [s for s in publish.STACK_POLICY["Statement"] if s["Effect"] == "Deny"]
    assert deny and set(deny[0]["Action"]) == {"Update:Replace", "Update:Delete"}
    assert set(deny[0]["Resource"]) == {"LogicalResourceId/UserPool", "LogicalResourceId/FlattrTable"}
    assert set(stack.sam_template()["Resources"]) >= {"UserPool", "FlattrTable"}


def test_the_audit_has_its_own_queue_an_alarmed_dlq_and_a_scratch_table_that_expires(cfn):
    res = stack.sam_template()["Resources"]
    fn = res["AuditFunction"]["Properties"]
    queue = res["AuditQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * fn["Timeout"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["AuditDeadLetterQueue", "Arn"]}
    jobs = fn["Events"]["Jobs"]["Properties"]
    assert jobs["Queue"] == {"Fn::GetAtt": ["AuditQueue", "Arn"]}
    assert jobs["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    alarm = res["AuditDeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["AuditDeadLetterQueue", "QueueName"]}
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert res["AuditTable"]["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "expires",
        "Enabled": True,
    }
    # The audit writes only its own scratch: on the books it may read, never write.
    books = [
        st["Action"]
        for st in fn["Policies"][0]["Statement"]
        if st["Resource"] == {"Fn::GetAtt": ["FlattrTable", "Arn"]}
    ]
    assert books == [["dynamodb:Scan", "dynamodb:Query", "dynamodb:BatchGetItem"]]
