"""Where `sagelab up` sends the AWS side: a named real account, or the sandbox — and why."""

from __future__ import annotations

import pytest

from sagelab.target import choose, configured_profiles, local_user


@pytest.fixture
def aws_files(tmp_path):
    (tmp_path / "config").write_text("[default]\nregion = eu-west-1\n[profile admin]\nregion = us-east-1\n")
    (tmp_path / "credentials").write_text("[admin]\naws_access_key_id = AKIAEXAMPLE\n")
    return {"AWS_CONFIG_FILE": str(tmp_path / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials")}


@pytest.fixture
def no_aws(tmp_path):
    return {"AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none2")}


def test_profiles_come_from_both_files(aws_files):
    assert configured_profiles(aws_files) == ["admin", "default"]


def test_without_credentials_the_sandbox_is_used_and_says_why(no_aws):
    target = choose(None, "eu-west-1", no_aws)
    assert (target.kind, target.profile) == ("sandbox", "")
    assert target.reason == "no AWS credentials are configured"


def test_credentials_alone_never_reach_a_real_account(aws_files):
    target = choose(None, "eu-west-1", aws_files)
    assert target.kind == "sandbox"
    assert "--profile NAME" in target.reason
    keys_only = {"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                 "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE"}
    target = choose(None, "eu-west-1", keys_only)
    assert target.kind == "sandbox" and "--profile NAME" in target.reason


def test_a_named_profile_is_the_real_account(aws_files):
    target = choose("admin", "eu-west-1", aws_files)
    assert (target.kind, target.profile, target.endpoint_url) == ("aws", "admin", "")
    assert target.playbook_vars() == {"sagelab_aws_endpoint_url": "", "sagelab_aws_region": "eu-west-1",
                                      "sagelab_aws_profile": "admin"}
    assert target.admin_env() == {"AWS_PROFILE": "admin", "AWS_DEFAULT_REGION": "eu-west-1"}


@pytest.mark.parametrize(("profile", "region", "message"), [
    ("nosuch", "eu-west-1",
     "--profile: 'nosuch' is not a configured AWS profile; configured: admin, default"),
    (None, "europe", "--region: 'europe' is not an AWS region name"),
])
def test_bad_choices_are_refused(aws_files, profile, region, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        choose(profile, region, aws_files)


def test_local_user_is_a_valid_iam_name():
    assert local_user()
    assert all(c.isalnum() or c in "_+=,.@-" for c in local_user())


def test_the_sandbox_profile_sagelab_wrote_is_not_taken_for_an_account(tmp_path):
    """`up` writes the profile `sagemaker` with the sandbox's endpoint_url: `--profile sagemaker` later
    must not treat it as a real account (check mode showed it would strip the endpoint)."""
    (tmp_path / "config").write_text("[profile sagemaker]\nregion = eu-west-1\noutput = json\n"
                                     "endpoint_url = http://127.0.0.1:40123\n"
                                     "[profile local]\nendpoint_url = http://localstack.lab:4566\n")
    env = {"AWS_CONFIG_FILE": str(tmp_path / "config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "c")}
    target = choose("sagemaker", "eu-west-1", env)
    assert (target.kind, target.profile, target.endpoint_url) == ("sandbox", "", "")  # started later
    assert target.reason == ("--profile sagemaker is sagelab's sandbox profile (its endpoint_url "
                             "http://127.0.0.1:40123 is this machine, not an AWS account), so the embedded "
                             "sandbox is used instead")
    with pytest.raises(ValueError, match=r"--profile: 'local' sends every call to endpoint_url "
                                         r"http://localstack.lab:4566, not to AWS"):
        choose("local", "eu-west-1", env)
