"""Cost Explorer in the sandbox: cost allocation tags (moto has none), what `sagelab cost` activates."""

from __future__ import annotations

import json

from moto.ce.responses import CostExplorerResponse
from moto.core.exceptions import JsonRESTError
from moto.core.utils import utcnow

from sagelab.sandbox.common import copy_members

# --- Cost Explorer: cost allocation tags (moto has none) -------------------------------------------

_COST_ALLOCATION_TAGS: dict[str, dict[str, dict[str, str]]] = {}  # account -> tag key -> entry
_COST_ALLOCATION_STATUSES = ("Active", "Inactive")
# https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_UpdateCostAllocationTagsStatus.html:
# 1 to 20 entries a request, Status Active or Inactive; the same status again has no effect and does not fail
_COST_ALLOCATION_BATCH = 20


class _CostExplorerResponseExtensions(CostExplorerResponse):
    """Cost allocation tag handlers copied onto moto's CostExplorerResponse by patch_moto(): what
    `sagelab cost` activates its tags with. The sandbox keeps the status per account (as AWS keeps it
    per payer account); a tag key it has not seen yet is added when activated (AWS lists only keys
    seen in billing data, which the sandbox has none of)."""

    def update_cost_allocation_tags_status(self) -> str:
        entries = json.loads(self.body or "{}").get("CostAllocationTagsStatus") or []
        if not 1 <= len(entries) <= _COST_ALLOCATION_BATCH:
            raise JsonRESTError("ValidationException", f"1 validation error detected: Value at "
                                f"'costAllocationTagsStatus' failed to satisfy constraint: Member must have "
                                f"length between 1 and {_COST_ALLOCATION_BATCH}")
        bad = [e.get("Status") for e in entries if e.get("Status") not in _COST_ALLOCATION_STATUSES]
        if bad:
            raise JsonRESTError("ValidationException", f"1 validation error detected: Value '{bad[0]}' at "
                                "'costAllocationTagsStatus.member.status' failed to satisfy constraint: "
                                "Member must satisfy enum value set: [Active, Inactive]")
        tags = _COST_ALLOCATION_TAGS.setdefault(self.current_account, {})
        today = utcnow().strftime("%Y-%m-%d")
        for entry in entries:
            found = tags.setdefault(entry["TagKey"], {"TagKey": entry["TagKey"], "Type": "UserDefined",
                                                      "Status": "Inactive", "LastUsedDate": today})
            if found["Status"] != entry["Status"]:  # the same status again changes nothing (as in AWS)
                found.update(Status=entry["Status"], LastUpdatedDate=today)
        return json.dumps({"Errors": []})

    def list_cost_allocation_tags(self) -> str:
        params = json.loads(self.body or "{}")
        wanted = params.get("TagKeys")
        found = [dict(t) for key, t in sorted(_COST_ALLOCATION_TAGS.get(self.current_account, {}).items())
                 if (not wanted or key in wanted) and params.get("Status") in (None, t["Status"])]
        return json.dumps({"CostAllocationTags": found})


def patch() -> None:
    """Attach the Cost Explorer additions to moto's class (called once, by server.patch_moto())."""
    copy_members(_CostExplorerResponseExtensions, CostExplorerResponse)
