#!/usr/bin/env python
"""Entry point of the task contract: builds the App and the TapStack, then synthesizes.

This file belongs to the task, not to the response: a response's own tap.py is recorded but
never run. Values come from the environment with the reference pipeline's defaults; CreatedAt is
fixed per run by the harness (HARNESS_CREATED_AT) so the same input synthesizes byte-identically.
"""
import os

from cdktf import App

from lib.tap_stack import TapStack

environment_suffix = os.getenv("ENVIRONMENT_SUFFIX", "dev")
state_bucket = os.getenv("TERRAFORM_STATE_BUCKET", "iac-rlhf-tf-states")
state_bucket_region = os.getenv("TERRAFORM_STATE_BUCKET_REGION", "us-east-1")
aws_region = os.getenv("AWS_REGION", "us-east-1")
repository_name = os.getenv("REPOSITORY", "unknown")
commit_author = os.getenv("COMMIT_AUTHOR", "unknown")
pr_number = os.getenv("PR_NUMBER", "unknown")
team = os.getenv("TEAM", "unknown")
created_at = os.getenv("HARNESS_CREATED_AT", "1970-01-01T00:00:00+00:00")

stack_name = f"TapStack{environment_suffix}"

# default_tags follows the AwsProvider default_tags interface.
default_tags = {
    "tags": {
        "Environment": environment_suffix,
        "Repository": repository_name,
        "Author": commit_author,
        "PRNumber": pr_number,
        "Team": team,
        "CreatedAt": created_at,
    }
}

app = App()

TapStack(
    app,
    stack_name,
    environment_suffix=environment_suffix,
    state_bucket=state_bucket,
    state_bucket_region=state_bucket_region,
    aws_region=aws_region,
    default_tags=default_tags,
)

app.synth()
