"""The environment's own KMS key for its CloudWatch log groups (where the profile asks for
it, `logsKmsEncrypted`): every log group of the stack passes its ARN as `kms_key_id`.

CloudWatch Logs encrypts log data at rest in any case; a key of our own adds a record of
every use (CloudTrail) and a switch: disabling the key makes the logs unreadable.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.iam import account_administers_key


class LogKey(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("epa:logs:LogKey", name, None, opts)
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"{name}: CloudWatch log groups",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=_log_key_policy(),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"key_arn": self.key.arn})


def _log_key_policy() -> pulumi.Output[str]:
    """AWS's key policy for CloudWatch Logs: the service in this region may use the key,
    only for log groups of this account (the encryption context names the log group)."""
    account = aws.get_caller_identity_output().account_id
    region = aws.get_region_output().region
    return aws.iam.get_policy_document_output(
        statements=[
            account_administers_key(account),
            {
                # AWS's example also lists kms:Describe*; DescribeKey carries no encryption
                # context, so the condition below never lets it through: left out.
                "sid": "CloudWatchLogsOfThisAccount",
                "actions": [
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                ],
                "resources": ["*"],
                "principals": [
                    {
                        "type": "Service",
                        "identifiers": [region.apply(lambda r: f"logs.{r}.amazonaws.com")],
                    }
                ],
                "conditions": [
                    {
                        "test": "ArnLike",
                        "variable": "kms:EncryptionContext:aws:logs:arn",
                        "values": [
                            pulumi.Output.format(
                                "arn:aws:logs:{0}:{1}:log-group:*", region, account
                            )
                        ],
                    }
                ],
            },
        ]
    ).json
