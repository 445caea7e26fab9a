"""What an operator relies on in a real account, checked in the expanded template: sign-in,
private hosting behind CloudFront, alarms with real metrics, logs with retention, tracing."""

from __future__ import annotations

import pytest

from local import stack


@pytest.fixture(scope="module")
def cfn():
    return stack.expanded_template(), stack.sam_template()


def resources(cfn, type_):
    return {k: v for k, v in cfn[0]["Resources"].items() if v["Type"] == type_}


def test_the_authorizer_trusts_the_user_pool_unless_an_issuer_is_given(cfn):
    _, sam = cfn
    jwt = sam["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"]["Jwt"]["JwtConfiguration"]
    assert jwt["issuer"]["Fn::If"][0] == "CreateUserPool"
    assert "${UserPool}" in jwt["issuer"]["Fn::If"][1]["Fn::Sub"]
    assert jwt["issuer"]["Fn::If"][2] == {"Ref": "JwtIssuer"}
    assert jwt["audience"][0]["Fn::If"][1] == {"Ref": "UserPoolClient"}
    assert sam["Conditions"]["CreateUserPool"] == {"Fn::Equals": [{"Ref": "JwtIssuer"}, ""]}
    for name in ("UserPool", "UserPoolClient", "UserPoolDomain", "AdminGroup"):
        assert sam["Resources"][name]["Condition"] == "CreateUserPool"
    assert sam["Resources"]["AdminGroup"]["Properties"]["GroupName"] == "admin"
    client = sam["Resources"]["UserPoolClient"]["Properties"]
    assert client["AllowedOAuthFlows"] == ["code"] and client["GenerateSecret"] is False


def test_the_widget_bucket_is_private_and_read_only_through_cloudfront(cfn):
    sam = cfn[1]["Resources"]
    block = sam["WidgetBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert all(
        block[k] is True
        for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
    )
    allow = [
        st
        for st in sam["WidgetBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
        if st["Effect"] == "Allow"
    ]
    assert len(allow) == 1
    assert allow[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow[0]["Action"] == "s3:GetObject"
    assert "${WidgetDistribution}" in allow[0]["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    origin = sam["WidgetDistribution"]["Properties"]["DistributionConfig"]["Origins"][0]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["WidgetOriginAccess", "Id"]}


def test_pages_cannot_be_framed_and_the_widget_may_be_fetched_anywhere(cfn):
    sam = cfn[1]["Resources"]
    pages = sam["PagesHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert "frame-ancestors 'none'" in pages["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    config = sam["WidgetDistribution"]["Properties"]["DistributionConfig"]
    assert config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == {"Ref": "PagesHeaders"}
    widget = next(b for b in config["CacheBehaviors"] if b["PathPattern"] == "widget*.js")
    assert widget["ResponseHeadersPolicyId"] == {"Ref": "WidgetHeaders"}
    cors = sam["WidgetHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]["CorsConfig"]
    assert cors["AccessControlAllowOrigins"]["Items"] == ["*"]


@pytest.mark.parametrize(
    "alarm, namespace, metric",
    [
        ("SettleDeadLetterAlarm", "AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AuditViolationsAlarm", "Flattr", "AuditViolations"),
        ("Api5xxAlarm", "AWS/ApiGateway", "5xx"),
        ("ClickFunctionThrottlesAlarm", "AWS/Lambda", "Throttles"),
        ("TableThrottleAlarm", "AWS/DynamoDB", "WriteThrottleEvents"),
        ("MonthCloseStuckAlarm", "Flattr", "MonthCloseOpenHours"),
        ("MonthCloseNotStartedAlarm", "Flattr", "MonthCloseNotStarted"),
        ("AuditMissingAlarm", "Flattr", "AuditViolations"),
        ("ScheduleDeadLetterAlarm", "AWS/SQS", "ApproximateNumberOfMessagesVisible"),
    ],
)
def test_each_alarm_watches_a_metric_something_emits(cfn, alarm, namespace, metric):
    props = cfn[1]["Resources"][alarm]["Properties"]
    assert (props["Namespace"], props["MetricName"]) == (namespace, metric)
    if namespace == "Flattr":  # our own metrics: the code must emit them under this name
        emitted = "\n".join(p.read_text() for p in (stack.ROOT / "functions").rglob("*.py"))
        assert f'name="{metric}"' in emitted
    assert cfn[1]["Resources"]["MonthCloseStuckAlarm"]["Properties"]["Threshold"] == 6


def test_every_function_logs_with_retention_and_traces(cfn):
    sam = cfn[1]
    assert sam["Globals"]["Function"]["Tracing"] == "Active"
    groups = {
        v["Properties"]["LogGroupName"]["Fn::Sub"]: v
        for v in sam["Resources"].values()
        if v["Type"] == "AWS::Logs::LogGroup"
    }
    for fn in stack.functions():
        group = groups[f"/aws/lambda/${{{fn.logical_id}}}"]
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_there_is_a_dashboard(cfn):
    body = cfn[1]["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    assert "Flattrs" in body and "AuditViolations" in body
