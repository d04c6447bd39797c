"""Self-tests for check.py's verdicts, run by run.sh before it starts the emulator.

The harness is only as good as its classifier: these pin that an unlisted change, a bare
create and an empty output fail, and that only the listed (type, attribute) pairs pass.
Run: target/emulator-venv/bin/python tests/emulator/test_check.py
"""

import contextlib
import io
import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import check  # noqa: E402


def _write(directory: str, name: str, text: str) -> str:
    path = Path(directory) / name
    path.write_text(text)
    return str(path)


def _update(address: str, type_name: str, before: dict, after: dict, unknown: dict | None = None) -> dict:
    return {"address": address, "type": type_name,
            "change": {"actions": ["update"], "before": before, "after": after, "after_unknown": unknown or {}}}


class ReplanTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.gaps = _write(self.dir, "gaps.txt", "# comment\n\naws_lb  idle_timeout  moto forgets it # really\n")

    def verdict(self, resource_changes, output_changes=None) -> tuple[int, str]:
        plan = _write(self.dir, "plan.json", json.dumps(
            {"resource_changes": resource_changes, "output_changes": output_changes or {}}))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = check.cmd_replan(plan, self.gaps)
        return code, out.getvalue()

    def test_no_op_plan_passes(self):
        code, _ = self.verdict([{"address": "aws_lb.this", "type": "aws_lb",
                                 "change": {"actions": ["no-op"], "before": {}, "after": {}}}])
        self.assertEqual(code, 0)

    def test_listed_attribute_is_accepted_with_its_reason(self):
        code, out = self.verdict([_update("aws_lb.this", "aws_lb", {"idle_timeout": 60}, {"idle_timeout": 30})])
        self.assertEqual(code, 0)
        self.assertIn("moto forgets it # really", out)

    def test_unlisted_attribute_fails_even_next_to_a_listed_one(self):
        code, out = self.verdict([_update("aws_lb.this", "aws_lb", {"idle_timeout": 60, "name": "a"},
                                          {"idle_timeout": 30, "name": "b"})])
        self.assertEqual(code, 1)
        self.assertIn("DIFF aws_lb.this: update name", out)

    def test_same_attribute_on_another_type_is_not_accepted(self):
        code, _ = self.verdict([_update("aws_alb.x", "aws_alb", {"idle_timeout": 60}, {"idle_timeout": 30})])
        self.assertEqual(code, 1)

    def test_value_becoming_unknown_counts_as_a_change(self):
        # Unknown values are null in `after`; only after_unknown tells them from an unchanged null.
        code, out = self.verdict([_update("aws_lb.this", "aws_lb", {"dns_name": None}, {"dns_name": None},
                                          {"dns_name": True})])
        self.assertEqual(code, 1)
        self.assertIn("update dns_name", out)

    def test_create_or_delete_after_apply_always_fails(self):
        for actions in (["create"], ["delete"]):
            code, _ = self.verdict([{"address": "aws_lb.this", "type": "aws_lb",
                                     "change": {"actions": actions, "before": None, "after": {"idle_timeout": 1}}}])
            self.assertEqual(code, 1, actions)

    def test_changed_output_fails(self):
        code, _ = self.verdict([], {"vpc_id": {"actions": ["update"]}})
        self.assertEqual(code, 1)


class OutputsTest(unittest.TestCase):
    def verdict(self, outputs: dict) -> int:
        path = _write(tempfile.mkdtemp(), "outputs.json", json.dumps(outputs))
        with contextlib.redirect_stdout(io.StringIO()):
            return check.cmd_outputs(path)

    def test_all_set_passes(self):
        self.assertEqual(self.verdict({"a": {"value": "x"}, "b": {"value": ["y"], "sensitive": True}}), 0)

    def test_null_empty_string_or_empty_list_fails(self):
        for empty in (None, "", [], {}):
            self.assertEqual(self.verdict({"a": {"value": "x"}, "b": {"value": empty}}), 1, empty)

    def test_no_outputs_fails(self):
        self.assertEqual(self.verdict({}), 1)


class OverrideTest(unittest.TestCase):
    def test_endpoint_for_every_service_and_unknown_type_fails(self):
        module = tempfile.mkdtemp()
        _write(module, "main.tf", 'resource "aws_db_instance" "x" {}\ndata "aws_partition" "p" {}\n'
                                  '  resource "aws_cloudwatch_log_group" "y" {}\n')
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(check.cmd_override(module, "http://127.0.0.1:1"), 0)
        for service in ("rds", "logs", "sts", "iam"):
            self.assertRegex(out.getvalue(), rf'\n\s+{service}\s+= "http://127.0.0.1:1"')
        self.assertIn('backend "local"', out.getvalue())
        _write(module, "extra.tf", 'resource "aws_mystery_thing" "z" {}\n')
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            self.assertEqual(check.cmd_override(module, "http://127.0.0.1:1"), 1)


class UpgradeTest(unittest.TestCase):
    def verdict(self, resource_changes) -> tuple[int, str]:
        directory = tempfile.mkdtemp()
        plan = _write(directory, "plan.json", json.dumps({"resource_changes": resource_changes}))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = check.cmd_upgrade(plan)
        return code, out.getvalue()

    @staticmethod
    def change(address: str, type_name: str, actions: list, previous: str | None = None) -> dict:
        rc = {"address": address, "type": type_name, "change": {"actions": actions}}
        if previous:
            rc["previous_address"] = previous
        return rc

    def test_a_replaced_or_destroyed_database_or_bucket_fails(self):
        for actions in (["delete"], ["delete", "create"], ["create", "delete"]):
            code, out = self.verdict([self.change("aws_db_instance.this", "aws_db_instance", actions)])
            self.assertEqual(code, 1, actions)
            self.assertIn("LOST    aws_db_instance.this", out)
        code, _ = self.verdict([self.change('aws_s3_bucket.this["assets"]', "aws_s3_bucket", ["delete"])])
        self.assertEqual(code, 1)

    def test_a_replaced_target_group_and_a_moved_table_pass(self):
        code, out = self.verdict([
            self.change("aws_lb_target_group.app", "aws_lb_target_group", ["create", "delete"]),
            self.change("aws_dynamodb_table.main", "aws_dynamodb_table", ["no-op"], previous="aws_dynamodb_table.this"),
            self.change("aws_kms_key.main", "aws_kms_key", ["update"]),
        ])
        self.assertEqual(code, 0, out)
        self.assertIn("moved   aws_dynamodb_table.this -> aws_dynamodb_table.main", out)


if __name__ == "__main__":
    unittest.main()
