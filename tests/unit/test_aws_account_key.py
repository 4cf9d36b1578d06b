"""Filter sagelab.sagemaker.aws_account_key, in-process (the roles' one-lookup-per-run use of it is checked
by tests/integration/test_aws_access.py, which counts the run's GetCallerIdentity calls)."""

from __future__ import annotations

import importlib.util

import pytest
from ansible.errors import AnsibleFilterError

from tests.conftest import REPO

_spec = importlib.util.spec_from_file_location("aws_account_key",
                                               REPO / "plugins" / "filter" / "aws_account_key.py")
_filter = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_filter)
aws_account_key = _filter.aws_account_key


def test_the_key_names_the_endpoint_and_the_profile_and_empty_equals_none():
    assert aws_account_key("http://127.0.0.1:5000", "") == "endpoint_url=http://127.0.0.1:5000 profile="
    assert aws_account_key("", "admin") == "endpoint_url= profile=admin"
    assert aws_account_key(None, None) == aws_account_key("", "") == aws_account_key("")


def test_other_targets_get_other_keys():
    keys = {aws_account_key(e, p) for e in ("", "http://127.0.0.1:5000", "http://127.0.0.1:5001")
            for p in ("", "admin", "lab")}
    assert len(keys) == 9


@pytest.mark.parametrize(("endpoint_url", "profile", "named"), [
    (5000, "", "endpoint_url 5000"),
    ("http://a b", "", "endpoint_url 'http://a b'"),
    ("", ["admin"], "profile ['admin']"),
])
def test_bad_values_are_refused_naming_the_setting(endpoint_url, profile, named):
    with pytest.raises(AnsibleFilterError, match=named.replace("[", r"\[").replace("]", r"\]")):
        aws_account_key(endpoint_url, profile)
