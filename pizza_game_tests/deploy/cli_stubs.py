"""Stand-ins for ``aws``, ``sam`` and ``docker`` on PATH for the deploy scripts' tests.

Each stub appends ``{"tool": ..., "argv": [...]}`` to the JSON-lines file $STUB_LOG and fails the
way the real tool does when a required option is missing:
- ``aws SERVICE OPERATION``: the operation's required members come from botocore's service model
  (the one the AWS CLI is generated from), so ``aws ecr put-lifecycle-policy`` without
  ``--lifecycle-policy-text`` stops with exit 252 and the CLI's "the following arguments are
  required" line. ``file://`` values must name a readable file. ``cloudformation deploy`` (a CLI
  customization) needs ``--template-file`` and ``--stack-name``, and, like CloudFormation, the
  capabilities the template requires (IAM resources, a transform), and ``--s3-bucket`` for a
  template over CloudFormation's 51,200-byte inline limit, with the CLI's message.
- ``sam deploy``: ``--stack-name``; for a template with image functions, one of
  ``--image-repositories``, ``--image-repository`` or ``--resolve-image-repos``, with SAM's own
  message; the same capabilities; ``--s3-bucket`` or ``--resolve-s3`` for a template over the
  inline limit, with SAM's message.
- ``docker``: records; ``login --password-stdin`` reads stdin and fails on an empty password.
Canned answers: the account 123456789012, no existing ECR repository, one image digest.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

ACCOUNT = "123456789012"
DIGEST = "sha256:" + "ab" * 32

STUB = r'''#!PYTHON
import json, os, sys
from pathlib import Path

TOOL = TOOLNAME
ACCOUNT, DIGEST = ACCOUNT_VALUE, DIGEST_VALUE
INLINE_LIMIT = 51_200  # CloudFormation's TemplateBody limit; larger templates go through S3
GLOBAL = {"--region", "--query", "--output", "--profile", "--cli-binary-format", "--endpoint-url",
          "--cli-read-timeout", "--no-cli-pager"}
argv = sys.argv[1:]
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(json.dumps({"tool": TOOL, "argv": argv}) + "\n")


def options(args):
    found, current = {}, None
    for arg in args:
        if arg.startswith("--"):
            current = arg
            found.setdefault(current, [])
        elif current is not None:
            found[current].append(arg)
    return found


def fail(message, code):
    print(message, file=sys.stderr)
    sys.exit(code)


def check_capabilities(opts):
    template = Path(opts["--template-file"][0]).read_text()
    given = set(opts.get("--capabilities", []))
    needed = []
    if "AWS::IAM::Role" in template and not given & {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"}:
        needed.append("CAPABILITY_IAM")
    if "Transform:" in template and "CAPABILITY_AUTO_EXPAND" not in given:
        needed.append("CAPABILITY_AUTO_EXPAND")
    if needed:
        fail(f"An error occurred (InsufficientCapabilitiesException) when calling the CreateChangeSet "
             f"operation: Requires capabilities : {needed}", 255)
    return template


if TOOL == "docker":
    # `docker login --password-stdin` reads the whole of stdin, as the real CLI does; a stub that
    # exited without reading made the other side of the pipe fail with a broken pipe now and then.
    if argv[:1] == ["login"] and "--password-stdin" in argv and not sys.stdin.read().strip():
        fail("Error: Password Required", 1)
    sys.exit(0)

if TOOL == "sam":
    if argv[:1] != ["deploy"]:
        fail(f"stub sam: only 'deploy' is stubbed, got {argv}", 2)
    opts = options(argv[1:])
    if "--stack-name" not in opts:
        fail("Error: Missing option '--stack-name'", 2)
    opts.setdefault("--template-file", ["template.yaml"])
    template = Path(opts["--template-file"][0]).read_text()
    if "PackageType: Image" in template and not opts.keys() & {
        "--image-repositories", "--image-repository", "--resolve-image-repos"
    }:
        fail("Usage: sam deploy [OPTIONS]\nTry 'sam deploy -h' for help.\n\n"
             "Error: Missing option '--image-repositories', '--image-repository', '--resolve-image-repos'", 2)
    check_capabilities(opts)
    if len(template.encode()) > INLINE_LIMIT and not opts.keys() & {"--s3-bucket", "--resolve-s3"}:
        fail("Error: Templates with a size greater than 51,200 bytes must be deployed via an S3 "
             "Bucket. Please add the --s3-bucket or --resolve-s3 parameter to your command.", 1)
    print("Successfully created/updated stack")
    sys.exit(0)

# aws
service, operation, rest = argv[0], argv[1], argv[2:]
opts = options(rest)
if (service, operation) == ("cloudformation", "deploy"):
    missing = [o for o in ("--template-file", "--stack-name") if o not in opts]
    if missing:
        fail(f"aws: error: the following arguments are required: {', '.join(missing)}", 252)
    template = check_capabilities(opts)
    if len(template.encode()) > INLINE_LIMIT and "--s3-bucket" not in opts:
        fail("Templates with a size greater than 51,200 bytes must be deployed via an S3 Bucket. "
             "Please add the --s3-bucket parameter to your command.", 255)
    print(f"Successfully created/updated stack - {opts['--stack-name'][0]}")
    sys.exit(0)
if (service, operation) == ("ecr", "get-login-password"):
    print("stub-password")
    sys.exit(0)

import botocore.session
from botocore import xform_name

model = botocore.session.get_session().get_service_model(
    {"sts": "sts", "ecr": "ecr", "cloudformation": "cloudformation"}[service]
)
names = {xform_name(name, "-"): name for name in model.operation_names}
if operation not in names:
    fail(f"aws: error: argument operation: Invalid choice: {operation!r}", 252)
shape = model.operation_model(names[operation]).input_shape
required = [] if shape is None else ["--" + xform_name(m, "-") for m in shape.required_members]
missing = [o for o in required if o not in opts]
if missing:
    fail(f"aws: error: the following arguments are required: {', '.join(missing)}", 252)
known = set() if shape is None else {"--" + xform_name(m, "-") for m in shape.members}
unknown = [o for o in opts if o not in known | GLOBAL and not o.startswith("--no-")]
if unknown:
    fail(f"Unknown options: {', '.join(unknown)}", 252)
for values in opts.values():
    for value in values:
        if value.startswith("file://") and not Path(value[len("file://"):]).is_file():
            fail(f"Error parsing parameter: Unable to load paramfile {value}", 252)

if (service, operation) == ("sts", "get-caller-identity"):
    print(ACCOUNT)
elif (service, operation) == ("ecr", "describe-repositories"):
    fail("An error occurred (RepositoryNotFoundException) when calling the DescribeRepositories "
         "operation: The repository does not exist", 254)
elif (service, operation) == ("ecr", "describe-images"):
    print(DIGEST)
elif (service, operation) == ("cloudformation", "describe-stacks"):
    print("----\n|  Outputs |\n----")
'''


def install_stubs(directory: Path, tools: tuple[str, ...] = ("aws", "sam", "docker")) -> Path:
    """Write the stubs into ``directory`` (made if needed); returns it, for the front of PATH."""
    directory.mkdir(parents=True, exist_ok=True)
    for tool in tools:
        path = directory / tool
        text = (
            STUB.replace("PYTHON", sys.executable, 1)
            .replace("TOOLNAME", repr(tool))
            .replace("ACCOUNT_VALUE", repr(ACCOUNT))
            .replace("DIGEST_VALUE", repr(DIGEST))
        )
        path.write_text(text)
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return directory


def stub_environ(bin_dir: Path, log: Path, **extra: str) -> dict[str, str]:
    """PATH with the stubs first (then the system's), STUB_LOG, no real AWS settings."""
    keep = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "SAM_"))}
    return {**keep, "PATH": f"{bin_dir}:/usr/bin:/bin", "STUB_LOG": str(log), **extra}
