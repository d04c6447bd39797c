"""Run moto's server in-process, with the AWS Backup selection calls moto lacks.

moto 5.2.5 implements backup vaults and plans but not backup selections, so
`aws_backup_selection` fails on apply with "not yet implemented". Rather than
leaving that resource out of the emulator run, this shim adds Create/Get/
Delete/ListBackupSelections to moto's Backup handler, stored per plan on the
regional backend, fixes Backup ListTags for clients that send no trailing slash,
adds Application Auto Scaling's tagging calls (ListTagsForResource, TagResource,
UntagResource), which the provider needs for ECS and DynamoDB scaling targets,
accepts Auto Scaling's StartInstanceRefresh and Backup's UpdateBackupPlan (the upgrade mode applies a new launch
template version to a running group), then starts moto's ordinary server (same arguments as `moto_server`). The shim
models only what the Terraform provider reads back.

Usage: python server.py -H 127.0.0.1 -p PORT
"""

import json
import sys
import uuid
from urllib.parse import unquote

from moto import server
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.autoscaling.responses import AutoScalingResponse
from moto.backup.exceptions import ResourceNotFoundException
from moto.backup.models import BackupBackend
from moto.backup.responses import BackupResponse
from moto.core.utils import unix_time


def _selections(backend: BackupBackend) -> dict:
    # Lazily attached: backends are created per account and region on first use.
    if not hasattr(backend, "hagen_selections"):
        backend.hagen_selections = {}
    return backend.hagen_selections


def _plan_id(response: BackupResponse) -> str:
    # Path: /backup/plans/{backupPlanId}/selections/[{selectionId}]
    return response.path.split("/plans/")[1].split("/")[0]


def _selection_id(response: BackupResponse) -> str:
    return response.path.rstrip("/").split("/selections/")[1]


def _existing_plan(response: BackupResponse, plan_id: str) -> None:
    # Like AWS: a selection belongs to an existing plan (raises if unknown).
    response.backup_backend.get_backup_plan(backup_plan_id=plan_id, version_id=None)


def create_backup_selection(self: BackupResponse) -> str:
    params = json.loads(self.body)
    plan_id = _plan_id(self)
    _existing_plan(self, plan_id)
    selection_id = str(uuid.uuid4())
    record = {
        "SelectionId": selection_id,
        "BackupPlanId": plan_id,
        "CreationDate": unix_time(),
        "CreatorRequestId": params.get("CreatorRequestId"),
        "BackupSelection": params["BackupSelection"],
    }
    _selections(self.backup_backend)[(plan_id, selection_id)] = record
    return json.dumps(
        {k: record[k] for k in ("SelectionId", "BackupPlanId", "CreationDate")}
    )


def get_backup_selection(self: BackupResponse) -> str:
    key = (_plan_id(self), _selection_id(self))
    record = _selections(self.backup_backend).get(key)
    if record is None:
        raise ResourceNotFoundException(msg=f"Selection {key[1]} not found")
    return json.dumps({k: v for k, v in record.items() if v is not None})


def delete_backup_selection(self: BackupResponse) -> str:
    key = (_plan_id(self), _selection_id(self))
    if _selections(self.backup_backend).pop(key, None) is None:
        raise ResourceNotFoundException(msg=f"Selection {key[1]} not found")
    return "{}"


def list_backup_selections(self: BackupResponse) -> str:
    plan_id = _plan_id(self)
    members = [
        {
            "SelectionId": r["SelectionId"],
            "SelectionName": r["BackupSelection"].get("SelectionName"),
            "BackupPlanId": plan_id,
            "CreationDate": r["CreationDate"],
            "CreatorRequestId": r["CreatorRequestId"],
            "IamRoleArn": r["BackupSelection"].get("IamRoleArn"),
        }
        for (pid, _), r in _selections(self.backup_backend).items()
        if pid == plan_id
    ]
    return json.dumps({"BackupSelectionsList": members})


def list_tags(self: BackupResponse) -> str:
    # moto takes the ARN from the second-to-last path segment, which assumes a trailing slash
    # (boto3 sends one, the Go SDK behind the Terraform provider does not): every vault and
    # plan then reads back with no tags. Take everything after /tags/ instead.
    resource_arn = unquote(self.path.split("/tags/", 1)[1].strip("/"))
    return json.dumps({"Tags": self.backup_backend.list_tags(resource_arn=resource_arn)})


def update_backup_plan(self: BackupResponse) -> str:
    # moto 5.2.5 has no UpdateBackupPlan (POST /backup/plans/{id}): an upgrade that
    # changes the schedule (hagen's default moved off the RDS windows) needs it. The plan
    # document is replaced and gets a new version id, as AWS does.
    plan_id = self.path.split("/plans/", 1)[1].strip("/")
    plan = self.backup_backend.get_backup_plan(backup_plan_id=plan_id, version_id=None)
    params = json.loads(self.body)
    plan.backup_plan = params["BackupPlan"]
    plan.advanced_backup_settings = params.get("AdvancedBackupSettings") or []
    plan.version_id = uuid.uuid4().hex
    return json.dumps(dict(plan.to_dict()))


def install_shim() -> None:
    for handler in (
        create_backup_selection,
        get_backup_selection,
        delete_backup_selection,
        list_backup_selections,
        update_backup_plan,
    ):
        # Never shadow a real implementation if a later moto ships one.
        if not hasattr(BackupResponse, handler.__name__):
            setattr(BackupResponse, handler.__name__, handler)
    BackupResponse.list_tags = list_tags


# Application Auto Scaling (ECS and DynamoDB scaling targets): moto 5.2.5 has no tagging
# calls, and the provider reads a target's tags back after creating it. Tags given at
# RegisterScalableTarget or TagResource are kept per ARN on the regional backend.

_original_register_scalable_target = ApplicationAutoScalingResponse.register_scalable_target


def _aas_tags(response: ApplicationAutoScalingResponse) -> dict:
    backend = response.applicationautoscaling_backend
    if not hasattr(backend, "hagen_tags"):
        backend.hagen_tags = {}
    return backend.hagen_tags


def aas_register_scalable_target(self: ApplicationAutoScalingResponse) -> str:
    result = _original_register_scalable_target(self)
    arn = json.loads(result)["ScalableTargetARN"]
    tags = self._get_param("Tags")
    if tags:
        _aas_tags(self).setdefault(arn, {}).update(tags)
    return result


def aas_list_tags_for_resource(self: ApplicationAutoScalingResponse) -> str:
    arn = self._get_param("ResourceARN")
    return json.dumps({"Tags": _aas_tags(self).get(arn, {})})


def aas_tag_resource(self: ApplicationAutoScalingResponse) -> str:
    _aas_tags(self).setdefault(self._get_param("ResourceARN"), {}).update(self._get_param("Tags") or {})
    return "{}"


def aas_untag_resource(self: ApplicationAutoScalingResponse) -> str:
    tags = _aas_tags(self).get(self._get_param("ResourceARN"), {})
    for key in self._get_param("TagKeys") or []:
        tags.pop(key, None)
    return "{}"


def install_aas_shim() -> None:
    ApplicationAutoScalingResponse.register_scalable_target = aas_register_scalable_target
    for name, handler in (
        ("list_tags_for_resource", aas_list_tags_for_resource),
        ("tag_resource", aas_tag_resource),
        ("untag_resource", aas_untag_resource),
    ):
        if not hasattr(ApplicationAutoScalingResponse, name):
            setattr(ApplicationAutoScalingResponse, name, handler)


# Auto Scaling instance refresh: moto 5.2.5 lacks StartInstanceRefresh, which the provider
# calls when a group with an instance_refresh block gets a new launch template version (the
# upgrade mode of run.sh applies one). moto runs no instances' software, so there is nothing
# to roll: accept the call and return a refresh ID, as AWS does before it starts.


def start_instance_refresh(self: AutoScalingResponse) -> str:
    return (
        '<StartInstanceRefreshResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/">'
        f"<StartInstanceRefreshResult><InstanceRefreshId>{uuid.uuid4()}</InstanceRefreshId>"
        "</StartInstanceRefreshResult>"
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        "</StartInstanceRefreshResponse>"
    )


def install_autoscaling_shim() -> None:
    if not hasattr(AutoScalingResponse, "start_instance_refresh"):
        AutoScalingResponse.start_instance_refresh = start_instance_refresh


if __name__ == "__main__":
    install_shim()
    install_aas_shim()
    install_autoscaling_shim()
    server.main(sys.argv[1:])
