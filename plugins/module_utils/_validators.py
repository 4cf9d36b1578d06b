# Copyright: sagelab engineers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Every input rule sagelab checks, each written once.

Each rule is a small function that returns None when AWS (or the tool concerned) takes the value, or the
one-line message sagelab prints: "<option>: '<value>' is not allowed; allowed: ...". `option` is the name
the caller shows - a module option (``role``), a role variable (``notebook_instance_aws_region
(sagelab_aws_region)``). The modules call them in their validate(), the roles' preflights (action
sagelab.sagemaker.preflight, plugins/plugin_utils/_preflight_rules.py) and the filters in plugins/filter
call them, and tests/unit/test_validators.py tests them in-process. Patterns cite where they come from
(botocore's service models, the AWS API references)."""

import re
from datetime import datetime

# --- names and identifiers ------------------------------------------------------------------------------

# Notebook instance, lifecycle config, code repository, domain and user profile names (botocore
# NotebookInstanceName, NotebookInstanceLifecycleConfigName, EntityName, DomainName, UserProfileName).
SAGEMAKER_NAME_RE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$")
SAGEMAKER_NAME_MAX = 63
# botocore SageMaker RoleArn (the IAM API's role ARNs: partition aws, aws-cn, aws-us-gov, ...).
ROLE_ARN_RE = re.compile(r"^arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")
# An IAM role name, with an optional path (IAM CreateRole RoleName / Path).
ROLE_NAME_RE = re.compile(r"^[\w+=,.@-]+(/[\w+=,.@-]+)*$")
# IAM user, group, role and policy names (IAM API reference: [\w+=,.@-]+).
IAM_NAME_RE = re.compile(r"^[A-Za-z0-9+=,.@_-]+$")
# botocore SageMaker VpcId / SubnetId / SecurityGroupId.
AWS_ID_RE = re.compile(r"^[-0-9a-zA-Z]{1,32}$")
ID_EXAMPLES = {"subnet": "subnet-0abc1234", "security group": "sg-0abc1234", "VPC": "vpc-0abc1234"}
# botocore SageMaker DomainId.
DOMAIN_ID_RE = re.compile(r"^d-(-*[a-z0-9]){1,61}$")
# botocore SageMaker KmsKeyId: a key ID, key ARN, alias name or alias ARN.
KMS_KEY_RE = re.compile(r"^[a-zA-Z0-9:/_-]{1,2048}$")
# botocore SageMaker SecretArn (GitConfig).
SECRET_ARN_RE = re.compile(r"^arn:aws[a-z\-]*:secretsmanager:[a-z0-9\-]*:[0-9]{12}:secret:.+$")
# botocore SageMaker GitConfig RepositoryUrl: https only, 11 to 1024 characters.
REPOSITORY_URL_RE = re.compile(r"^https://([^/]+)/?.{3,1016}$")
# Region names: eu-west-1, us-gov-west-1, us-iso-east-1, ...
REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]+$")
ENDPOINT_URL_RE = re.compile(r"^https?://[^\s/]+(/\S*)?$")
# A named profile of the AWS CLI / SDK config files.
PROFILE_RE = re.compile(r"^[A-Za-z0-9_.@+-]+$")
# EventBridge Scheduler schedule and schedule group names (CreateSchedule Name / GroupName).
SCHEDULE_NAME_RE = re.compile(r"^[0-9a-zA-Z._-]{1,64}$")
# arn:partition:service:region:account:resource; region and account may be empty (universal targets)
TARGET_ARN_RE = re.compile(r"^arn:aws(-[a-z]+)?:[a-z0-9-]+:([a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d)?:"
                           r"(\d{12})?:\S+$")
UNIVERSAL_TARGET_RE = re.compile(r"^arn:aws(-[a-z]+)?:scheduler:::aws-sdk:[a-z0-9-]+:[a-z][A-Za-z0-9]+$")
# botocore SageMaker StudioLifecycleConfigArn (ResourceSpec LifecycleConfigArn, LifecycleConfigArns): at most
# 256 characters (the model also takes the word None, which sagelab does not offer).
STUDIO_LIFECYCLE_CONFIG_ARN_RE = re.compile(r"^arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:"
                                            r"studio-lifecycle-config/.+$")
# botocore SageMaker ImageArn (ResourceSpec SageMakerImageArn): at most 256 characters.
IMAGE_ARN_RE = re.compile(r"^arn:aws(-[\w]+)*:sagemaker:.+:[0-9]{12}:image/[a-zA-Z0-9]([-.]?[a-zA-Z0-9])*$")
ARN_MAX = 256


def first(*errors):
    """The first message of several rules (None when all pass)."""
    return next((e for e in errors if e), None)


def sagemaker_name(option, value, allow_empty=False):
    """A SageMaker resource name: 1-63 ASCII letters, digits and hyphens, no leading/trailing hyphen."""
    if allow_empty and value == "":
        return None
    if not value or len(value) > SAGEMAKER_NAME_MAX or not SAGEMAKER_NAME_RE.match(value):
        empty = "empty (to detach) or " if allow_empty else ""
        return (f"{option}: {value!r} is not allowed; allowed: {empty}1 to {SAGEMAKER_NAME_MAX} ASCII "
                "letters, digits and hyphens, starting and ending with a letter or digit")
    return None


def role(option, value):
    """An IAM role ARN or a role name (the module resolves a name in the caller's account); None passes."""
    if value is None or ROLE_ARN_RE.match(value):
        return None
    if not value.startswith("arn:") and ROLE_NAME_RE.match(value):
        return None
    return (f"{option}: {value!r} is not allowed; allowed: an IAM role ARN "
            "(arn:aws:iam::123456789012:role/NAME) or a role name")


def role_arn(option, value, max_length=2048):
    """An IAM role ARN only (botocore RoleArn: at most 2048 characters; Scheduler's Target.RoleArn 1600)."""
    if value and len(value) <= max_length and ROLE_ARN_RE.match(value):
        return None
    return (f"{option}: {value!r} is not allowed; allowed: an IAM role ARN "
            "arn:aws:iam::<12-digit account>:role/<name>")


def iam_name(option, value, max_length=64):
    """An IAM role (64), user (64), group (128) or policy (128) name."""
    if isinstance(value, str) and 1 <= len(value) <= max_length and IAM_NAME_RE.match(value):
        return None
    return (f"{option}: {value!r} is not allowed; allowed: 1 to {max_length} letters, digits and "
            "+=,.@_- characters")


def aws_id(option, value, kind):
    """A subnet, security group or VPC ID (kind: 'subnet', 'security group', 'VPC')."""
    if isinstance(value, str) and AWS_ID_RE.match(value):
        return None
    return f"{option}: {value!r} is not allowed; allowed: a {kind} ID such as {ID_EXAMPLES[kind]}"


def domain_id(option, value):
    if value and DOMAIN_ID_RE.match(value):
        return None
    return f"{option}: {value!r} is not allowed; allowed: a Studio domain ID such as d-abcdefghijkl"


def kms_key(option, value):
    if value is None or KMS_KEY_RE.match(value):
        return None
    return (f"{option}: {value!r} is not allowed; allowed: a KMS key ID, key ARN, alias name or alias ARN")


def secret_arn(option, value):
    """Empty, or a Secrets Manager secret ARN."""
    if not value or SECRET_ARN_RE.match(value):
        return None
    return (f"{option}: {value!r} is not allowed; allowed: a Secrets Manager secret ARN such as "
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:NAME")


def repository_url(option, value):
    """An https:// Git repository URL (a SageMaker code repository's); None passes."""
    if value is None or (11 <= len(value) <= 1024 and REPOSITORY_URL_RE.match(value)):
        return None
    return (f"{option}: {value!r} is not allowed; allowed: an https:// URL of a Git repository "
            "(SSH URLs such as git@host:repo are not supported by SageMaker)")


def target_arn(option, value):
    """An EventBridge Scheduler target: a resource ARN, or a universal target aws-sdk:<service>:<action>
    (Target.Arn: at most 1600 characters)."""
    universal = ":scheduler:" in value
    if len(value) <= 1600 and TARGET_ARN_RE.match(value) and (
            not universal or UNIVERSAL_TARGET_RE.match(value)):
        return None
    return (f"{option}: {value!r} is not allowed; allowed: an ARN such as "
            "arn:aws:lambda:eu-west-1:123456789012:function:name or a universal target "
            "arn:aws:scheduler:::aws-sdk:<service>:<apiAction> "
            "(e.g. arn:aws:scheduler:::aws-sdk:sagemaker:stopNotebookInstance)")


# S3 general purpose bucket names (Amazon S3 User Guide, "General purpose bucket naming rules"): 3-63
# lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit; no two adjacent
# dots; not an IP address; not a reserved prefix or suffix.
S3_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
IPV4_RE = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
S3_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
S3_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
S3_BUCKET_HELP = ("3-63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, "
                  "no '..', not an IP address (the S3 bucket naming rules)")
# A venv or conda environment name: one folder name (the conda_env module and the venv/conda roles).
ENV_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# A conda channel: a name (conda-forge, owner/label) or an http(s):// or file:// URL.
CONDA_CHANNEL_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
CONDA_CHANNEL_URL_RE = re.compile(r"^(https?|file)://")


def s3_bucket_name(option, value, empty=None):
    """An S3 bucket name; empty passes when `empty` says what an empty value means."""
    if empty is not None and value in ("", None):
        return None
    if (isinstance(value, str) and S3_BUCKET_RE.match(value) and ".." not in value
            and not IPV4_RE.match(value) and not value.startswith(S3_RESERVED_PREFIXES)
            and not value.endswith(S3_RESERVED_SUFFIXES)):
        return None
    also = f", or {empty}" if empty else ""
    return f"{option}: {value!r} is not allowed; allowed: {S3_BUCKET_HELP}{also}"


def iam_user_name(option, value):
    """An IAM user name (IAM CreateUser UserName: 1-64 of [\\w+=,.@-])."""
    if iam_name(option, value, 64) is None:
        return None
    return (f"{option}: {value!r} is not allowed; allowed: 1-64 letters, digits and '+=,.@_-' (the IAM user "
            "name rules), e.g. alice or alice.smith@example.com")


def env_name(option, value, example):
    """A venv or conda environment name: one folder name."""
    if isinstance(value, str) and ENV_NAME_RE.match(value):
        return None
    return (f"{option}: {value!r} is not allowed; an environment name is one folder name made of letters, "
            f"digits, '.', '_' and '-' (no slashes, no spaces), e.g. {example}")


def conda_channel(option, value):
    if isinstance(value, str) and (CONDA_CHANNEL_URL_RE.match(value) or CONDA_CHANNEL_NAME_RE.match(value)):
        return None
    return (f"{option}: {value!r} is not allowed; allowed: a channel name such as conda-forge, or an "
            "https://, http:// or file:// URL")


def partition(region_name):
    """The AWS partition of a region (the first field of its ARNs): aws-cn for cn-*, aws-us-gov for
    us-gov-*, aws otherwise (AWS General Reference, "Amazon Resource Names")."""
    text = str(region_name or "")
    if text.startswith("cn-"):
        return "aws-cn"
    if text.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


# --- what botocore's SageMaker model enumerates ------------------------------------------------------------

def model_choices(shape, pattern=False):
    """The values botocore's SageMaker model allows for a shape (an enum, or a pattern of alternatives)."""
    try:
        import botocore.session

        meta = botocore.session.get_session().get_service_model("sagemaker").shape_for(shape).metadata
    except Exception:  # pragma: no cover - botocore missing is reported by AnsibleAWSModule
        return None
    if pattern:
        text = meta.get("pattern", "")
        return text.strip("^$()").split("|") if text else None
    return meta.get("enum")


def instance_type(option, value):
    """A notebook instance type botocore's SageMaker model lists (InstanceType); None passes."""
    if value is None:
        return None
    types = model_choices("InstanceType") or []
    if not types or value in types:
        return None
    family = str(value).rsplit(".", 1)[0] + "."
    near = [t for t in types if t.startswith(family)][:8] or ["ml.t3.medium", "ml.m5.xlarge"]
    return (f"{option}: {value!r} is not allowed; allowed: a notebook instance type, one of the "
            f"{len(types)} types in botocore's SageMaker model, e.g. {', '.join(near)}")


def app_instance_type(option, value):
    """A Studio app instance type botocore's SageMaker model lists (AppInstanceType); None passes."""
    if value is None:
        return None
    types = model_choices("AppInstanceType") or []
    if not types or value in types:
        return None
    family = str(value).rsplit(".", 1)[0] + "."
    near = [t for t in types if t.startswith(family)][:8] or ["system", "ml.t3.medium", "ml.m5.large"]
    return (f"{option}: {value!r} is not allowed; allowed: a Studio app instance type, one of the "
            f"{len(types)} types in botocore's SageMaker model (AppInstanceType), e.g. {', '.join(near)}")


def studio_lifecycle_config_arn(option, value):
    """The ARN of a Studio lifecycle configuration (CreateStudioLifecycleConfig); None passes."""
    if value is None or (isinstance(value, str) and len(value) <= ARN_MAX
                         and STUDIO_LIFECYCLE_CONFIG_ARN_RE.match(value)):
        return None
    return (f"{option}: {value!r} is not allowed; allowed: a Studio lifecycle configuration ARN such as "
            "arn:aws:sagemaker:eu-west-1:123456789012:studio-lifecycle-config/NAME (at most 256 characters)")


def sagemaker_image_arn(option, value):
    """The ARN of a SageMaker image (a distribution image or one made with CreateImage); None passes."""
    if value is None or (isinstance(value, str) and len(value) <= ARN_MAX and IMAGE_ARN_RE.match(value)):
        return None
    return (f"{option}: {value!r} is not allowed; allowed: a SageMaker image ARN such as "
            "arn:aws:sagemaker:eu-west-1:123456789012:image/NAME (at most 256 characters)")


# --- the connection to AWS -------------------------------------------------------------------------------

def region(option, value):
    if isinstance(value, str) and REGION_RE.match(value):
        return None
    return f"{option}: {value!r} is not allowed; allowed: an AWS region name such as eu-west-1 or us-east-1"


def endpoint_url(option, value):
    """Empty (real AWS) or an http(s) URL."""
    if not value or (isinstance(value, str) and ENDPOINT_URL_RE.match(value)):
        return None
    return (f"{option}: {value!r} is not allowed; allowed: empty (real AWS) or an http(s) URL such as "
            "http://127.0.0.1:5000 (the sandbox)")


def profile(option, value, required=False):
    """Empty (the default credential chain) or a profile name; required: a profile name."""
    if (not value and not required) or (isinstance(value, str) and PROFILE_RE.match(value)):
        return None
    empty = "" if required else "empty (the default credential chain) or "
    return (f"{option}: {value!r} is not allowed; allowed: {empty}a profile name of letters, digits and "
            "'_.@+-'")


# --- tags ------------------------------------------------------------------------------------------------

TAGS_MAX, TAG_KEY_MAX, TAG_VALUE_MAX = 50, 128, 256  # AWS tagging limits (Tag: Key 1-128, Value 0-256)


def tags(value, option="tags", required=False):
    """What AWS refuses in a tag set: more than 50 tags, keys of 0 or over 128 characters or starting with
    aws:, values over 256 characters; None passes (tags left alone) unless required."""
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        return f"{option}: {value!r} is not allowed; allowed: a mapping of tag keys to values"
    if len(value) > TAGS_MAX:
        return f"{option}: {len(value)} tags given; allowed: at most {TAGS_MAX}"
    for key, text in value.items():
        key = str(key)
        if not key or len(key) > TAG_KEY_MAX:
            return f"{option}: key {key!r} is not allowed; allowed: 1 to {TAG_KEY_MAX} characters"
        if key.lower().startswith("aws:"):
            return f"{option}: key {key!r} is not allowed; keys starting with 'aws:' are reserved by AWS"
        if text is None or len(str(text)) > TAG_VALUE_MAX:
            return (f"{option}: value {text!r} of {key} is not allowed; allowed: a string of up to "
                    f"{TAG_VALUE_MAX} characters")
    return None


# --- EventBridge Scheduler names, expressions and time zones ------------------------------------------

def schedule_name(option, value):
    if isinstance(value, str) and SCHEDULE_NAME_RE.match(value):
        return None
    return f"{option}: {value!r} is not allowed; allowed: 1 to 64 letters, digits, '-', '_' and '.'"


EXPRESSION_HELP = ("allowed: cron(minutes hours day-of-month month day-of-week year) with six fields, "
                   "e.g. cron(0 20 ? * MON-FRI *); rate(N minute(s)|hour(s)|day(s)); "
                   "at(yyyy-mm-ddThh:mm:ss)")
MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
MONTHS = {m: i + 1 for i, m in enumerate(MONTH_NAMES)}
DAYS = {d: i + 1 for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
# (field, low, high, names, '/' allowed) - the Scheduler user guide's cron table
CRON_FIELDS = (
    ("minutes", 0, 59, {}, True),
    ("hours", 0, 23, {}, True),
    ("day-of-month", 1, 31, {}, True),
    ("month", 1, 12, MONTHS, True),
    ("day-of-week", 1, 7, DAYS, False),
    ("year", 1970, 2199, {}, True),
)


class ExpressionError(ValueError):
    pass


def tag_selector(value, option="tags"):
    """Tags that select what a module finds (the teardowns): at least one, and a tag set AWS accepts."""
    if not value:
        return (f"{option}: no tags given; allowed: a mapping with at least one tag, e.g. "
                "{ManagedBy: sagelab}")
    return tags(value, option)


def _cron_value(text, field, low, high, names):
    """The number of one cron value (a number or, for month and day-of-week, a name)."""
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not text.isdigit():
        allowed = f"{low}-{high}" + (f" or {'-'.join((list(names)[0], list(names)[-1]))}" if names else "")
        raise ExpressionError(f"{field} value {text!r} is not a number or name ({allowed})")
    number = int(text)
    if not low <= number <= high:
        raise ExpressionError(f"{field} value {number} is out of range {low}-{high}")
    return number


def _cron_special(text, part, field, low, high, names):
    """Whether part is day-of-month's L/LW/nW or day-of-week's L/nL/n#k (checked), else False."""
    if field == "day-of-month" and re.fullmatch(r"L|LW|\d{1,2}W", part, re.I):
        if part[0].isdigit():
            _cron_value(part[:-1], field, low, high, names)
        if "," in text:
            raise ExpressionError(f"{field} field {text!r}: L and W cannot be used in a list")
        return True
    if field == "day-of-week" and (m := re.fullmatch(r"(\w+)?L|(\w+)#(\d)", part, re.I)):
        if part.upper() != "L":
            _cron_value(m.group(1) or m.group(2), field, low, high, names)
        if m.group(3) and not 1 <= int(m.group(3)) <= 5:
            raise ExpressionError(f"{field} field {text!r}: the week after # must be 1-5")
        if "," in text:
            raise ExpressionError(f"{field} field {text!r}: L and # cannot be used in a list")
        return True
    return False


def cron_field(text, field, low, high, names, slash):
    """Check one cron field; ExpressionError says what is wrong."""
    if text == "?":
        return
    for part in text.split(","):
        if not part:
            raise ExpressionError(f"{field} field {text!r} has an empty list item")
        if _cron_special(text, part, field, low, high, names):
            continue
        base, sep, step = part.partition("/")
        if sep:
            if not slash:
                raise ExpressionError(f"{field} field {text!r}: / is not allowed in {field}")
            if not step.isdigit() or int(step) < 1:
                raise ExpressionError(f"{field} field {text!r}: the increment after / must be a positive "
                                      "number")
            if base != "*":
                _cron_value(base, field, low, high, names)
            continue
        if base == "*":
            continue
        low_text, dash, high_text = base.partition("-")
        _cron_value(low_text, field, low, high, names)
        if dash:
            _cron_value(high_text, field, low, high, names)


def _check_cron(body):
    fields = body.split()
    if len(fields) != 6:
        raise ExpressionError(f"cron needs six fields, {len(fields)} given")
    for value, spec in zip(fields, CRON_FIELDS, strict=True):
        if "?" in value and (value != "?" or spec[0] not in ("day-of-month", "day-of-week")):
            raise ExpressionError(f"{spec[0]} field {value!r}: ? is only allowed alone, in "
                                  "day-of-month or day-of-week")
        cron_field(value, *spec)
    if (fields[2] == "?") == (fields[4] == "?"):
        raise ExpressionError("exactly one of day-of-month and day-of-week must be ? (EventBridge "
                              "allows neither both set nor both ?)")


def _check_rate(body):
    parts = body.split()
    if len(parts) != 2 or not parts[0].isdigit() or int(parts[0]) < 1:
        raise ExpressionError("rate needs a positive whole number and a unit")
    unit = "minute" if int(parts[0]) == 1 else "minutes"
    allowed = [u if int(parts[0]) == 1 else u + "s" for u in ("minute", "hour", "day")]
    if parts[1] not in allowed:
        raise ExpressionError(f"rate unit {parts[1]!r} for {parts[0]}: use {', '.join(allowed)} "
                              f"(e.g. rate({parts[0]} {unit}))")


def _check_at(body):
    try:
        datetime.strptime(body, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        raise ExpressionError(f"at({body}) is not a date and time yyyy-mm-ddThh:mm:ss") from None


def schedule_expression(option, expression):
    """A cron(...), rate(...) or at(...) expression EventBridge Scheduler accepts."""
    text = str(expression).strip()
    try:
        if m := re.fullmatch(r"(cron|rate|at)\((.*)\)", text):
            {"cron": _check_cron, "rate": _check_rate, "at": _check_at}[m.group(1)](m.group(2))
        else:
            raise ExpressionError("it is not cron(...), rate(...) or at(...)")
    except ExpressionError as exc:
        return f"{option}: {expression!r} is not allowed: {exc}; {EXPRESSION_HELP}"
    return None


def timezone(option, name):
    """An IANA time zone name (the machine's zoneinfo database)."""
    import zoneinfo

    known = zoneinfo.available_timezones()
    if isinstance(name, str) and (name in known or (not known and _loads_zone(zoneinfo, name))):
        return None
    return (f"{option}: {name!r} is not allowed; allowed: an IANA time zone name such as "
            "Europe/Dublin, America/New_York or UTC")


def _loads_zone(zoneinfo, name):
    try:
        zoneinfo.ZoneInfo(name)
        return True
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return False


def each(rule):
    """The rule applied to every item of a list (the first refusal); a list is required."""
    def check(option, values):
        if not isinstance(values, (list, tuple)):
            return f"{option}: {values!r} is not allowed; allowed: a list"
        return first(*(rule(option, value) for value in values))
    return check


# The rules a role's preflight binds to its variables by name (plugins/plugin_utils/_preflight_rules.py):
# rule -> function(option, value). Rules that need more than the value (aws_id's kind) are bound here.
RULES = {
    "sagemaker_name": sagemaker_name,
    "role": role,
    "role_arn": role_arn,
    "optional_role_arn": lambda option, value: role_arn(option, value) if value else None,
    "iam_name": iam_name,
    "iam_group_name": lambda option, value: iam_name(option, value, 128),
    "iam_policy_name": lambda option, value: iam_name(option, value, 128),
    "subnet_id": lambda option, value: aws_id(option, value, "subnet"),
    "security_group_id": lambda option, value: aws_id(option, value, "security group"),
    "vpc_id": lambda option, value: aws_id(option, value, "VPC"),
    "domain_id": domain_id,
    "kms_key": kms_key,
    "secret_arn": secret_arn,
    "repository_url": repository_url,
    "instance_type": instance_type,
    "region": region,
    "endpoint_url": endpoint_url,
    "profile": profile,
    "profile_name": lambda option, value: profile(option, value, required=True),
    "tags": lambda option, value: tags(value, option, required=True),
    "sagemaker_names": each(sagemaker_name),
    "subnet_ids": each(lambda option, value: aws_id(option, value, "subnet")),
    "security_group_ids": each(lambda option, value: aws_id(option, value, "security group")),
    "schedule_name": schedule_name,
    "schedule_expression": schedule_expression,
    "timezone": timezone,
    "s3_bucket_name": s3_bucket_name,
    "s3_bucket_names": each(s3_bucket_name),
    "iam_user_name": iam_user_name,
}
