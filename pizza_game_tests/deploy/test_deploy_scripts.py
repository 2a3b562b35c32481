"""deploy.sh and push.sh run against stub ``aws``/``sam``/``docker`` (cli_stubs.py) that record
their arguments and fail like the real tools on a missing option, and deploy.sh runs against the
real SAM CLI from the tools environment up to its first AWS call."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pizza_game_tests.deploy.cli_stubs import ACCOUNT, DIGEST, install_stubs, stub_environ

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "deploy" / "scripts"
TEMPLATE = REPO / "deploy" / "template.yaml"
REPOSITORY = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/pizza-game-lambda"
IMAGE_URI = f"{REPOSITORY}@sha256:" + "0" * 64


def run(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPTS / script), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def calls(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    return [[entry["tool"], *entry["argv"]] for entry in entries]


def option(argv: list[str], name: str) -> list[str]:
    """The values after ``name`` up to the next option."""
    start = argv.index(name) + 1
    end = next((i for i in range(start, len(argv)) if argv[i].startswith("--")), len(argv))
    return argv[start:end]


@pytest.fixture
def stubs(tmp_path: Path) -> tuple[Path, Path]:
    return install_stubs(tmp_path / "bin"), tmp_path / "calls.jsonl"


def test_the_stub_sam_fails_as_sam_does_without_an_image_repository(stubs: tuple[Path, Path]) -> None:
    """What the issue saw: deploy.sh's old command, without --image-repository."""
    bin_dir, log = stubs
    done = subprocess.run(
        ["sam", "deploy", "--template-file", str(TEMPLATE), "--stack-name", "pizza-game",
         "--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND", "--parameter-overrides", f"ImageUri={IMAGE_URI}"],
        env=stub_environ(bin_dir, log), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "Error: Missing option '--image-repositories', '--image-repository', '--resolve-image-repos'" in done.stderr


def test_the_stub_aws_fails_on_a_missing_required_option(stubs: tuple[Path, Path]) -> None:
    bin_dir, log = stubs
    done = subprocess.run(
        ["aws", "ecr", "put-lifecycle-policy", "--repository-name", "r"],
        env=stub_environ(bin_dir, log), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 252
    assert "required: --lifecycle-policy-text" in done.stderr


def test_deploy_with_sam_names_the_image_repository_tags_and_parameters(stubs: tuple[Path, Path]) -> None:
    bin_dir, log = stubs
    env = stub_environ(bin_dir, log, AWS_REGION="eu-west-1", STACK_TAGS="CostCentre=data Owner=me")
    done = run("deploy.sh", IMAGE_URI, "FootballApiKeyParameter=/pizza-game/football-api-key", env=env)
    assert done.returncode == 0, done.stderr
    sam, describe = calls(log)
    assert sam[:2] == ["sam", "deploy"]
    assert option(sam, "--image-repository") == [REPOSITORY]
    assert option(sam, "--template-file") == [str(TEMPLATE)]
    assert option(sam, "--stack-name") == ["pizza-game"] and option(sam, "--region") == ["eu-west-1"]
    assert option(sam, "--parameter-overrides") == [f"ImageUri={IMAGE_URI}", "FootballApiKeyParameter=/pizza-game/football-api-key"]
    assert option(sam, "--tags") == ["Project=pizza-game", "Stack=pizza-game", "CostCentre=data", "Owner=me"]
    assert "--resolve-s3" in sam  # the template is over the 51,200-byte inline limit
    assert describe[:3] == ["aws", "cloudformation", "describe-stacks"]


def test_deploy_without_sam_uses_cloudformation_deploy(stubs: tuple[Path, Path], tmp_path: Path) -> None:
    bin_dir, log = stubs
    (bin_dir / "sam").unlink()
    env = stub_environ(bin_dir, log, AWS_REGION="eu-west-1", STACK_NAME="pg-test", TEMPLATE_BUCKET="my-templates")
    done = run("deploy.sh", f"{REPOSITORY}:3f2c1ab", env=env)
    assert done.returncode == 0, done.stderr
    deploy, describe = calls(log)
    assert option(deploy, "--s3-bucket") == ["my-templates"]
    assert deploy[:3] == ["aws", "cloudformation", "deploy"]
    assert "--image-repository" not in deploy
    assert option(deploy, "--capabilities") == ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
    assert option(deploy, "--parameter-overrides") == [f"ImageUri={REPOSITORY}:3f2c1ab"]
    assert option(deploy, "--tags") == ["Project=pizza-game", "Stack=pg-test"]
    assert option(describe, "--stack-name") == ["pg-test"]


def test_the_stubs_refuse_the_template_inline_as_the_real_tools_do(stubs: tuple[Path, Path]) -> None:
    """The template is over CloudFormation's 51,200-byte inline limit: without an S3 bucket both
    tools stop, and deploy.sh never calls them that way."""
    assert TEMPLATE.stat().st_size > 51_200
    bin_dir, log = stubs
    env = stub_environ(bin_dir, log, AWS_REGION="eu-west-1")
    base = ["--template-file", str(TEMPLATE), "--stack-name", "s", "--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
    sam = subprocess.run([str(bin_dir / "sam"), "deploy", *base, "--image-repository", REPOSITORY], env=env, capture_output=True, text=True, check=False)
    aws = subprocess.run([str(bin_dir / "aws"), "cloudformation", "deploy", *base], env=env, capture_output=True, text=True, check=False)
    assert sam.returncode != 0 and "--resolve-s3" in sam.stderr
    assert aws.returncode != 0 and "--s3-bucket" in aws.stderr


def test_deploy_without_sam_needs_a_template_bucket(stubs: tuple[Path, Path]) -> None:
    bin_dir, log = stubs
    (bin_dir / "sam").unlink()
    done = run("deploy.sh", IMAGE_URI, env=stub_environ(bin_dir, log, AWS_REGION="eu-west-1"))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "TEMPLATE_BUCKET" in done.stderr
    assert calls(log) == []


def test_deploy_refuses_an_image_that_is_not_in_ecr(stubs: tuple[Path, Path]) -> None:
    bin_dir, log = stubs
    done = run("deploy.sh", "pizza-game-lambda:3f2c1ab", env=stub_environ(bin_dir, log, AWS_REGION="eu-west-1"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "IMAGE_URI must be an ECR image" in done.stderr
    assert calls(log) == []


def test_push_creates_the_repository_with_a_lifecycle_policy_and_prints_the_digest(stubs: tuple[Path, Path]) -> None:
    bin_dir, log = stubs
    done = run("push.sh", "pizza-game-lambda:3f2c1ab", env=stub_environ(bin_dir, log, AWS_REGION="eu-west-1"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{REPOSITORY}@{DIGEST}"
    made = calls(log)
    steps = [call[:3] for call in made]
    # The two sides of `aws ecr get-login-password | docker login` start in either order.
    steps[4:6] = sorted(steps[4:6])
    assert steps == [
        ["aws", "sts", "get-caller-identity"],
        ["aws", "ecr", "describe-repositories"],
        ["aws", "ecr", "create-repository"],
        ["aws", "ecr", "put-lifecycle-policy"],
        ["aws", "ecr", "get-login-password"],
        ["docker", "login", "--username"],
        ["docker", "tag", "pizza-game-lambda:3f2c1ab"],
        ["docker", "push", f"{REPOSITORY}:3f2c1ab"],
        ["aws", "ecr", "describe-images"],
    ]
    assert option(made[2], "--tags") == ["Key=Project,Value=pizza-game"]
    [policy_file] = option(made[3], "--lifecycle-policy-text")
    rules = json.loads(Path(policy_file.removeprefix("file://")).read_text())["rules"]
    assert [rule["rulePriority"] for rule in rules] == [1, 2]
    # ECR requires the "any" rule to come last; the newest images stay.
    assert rules[-1]["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10}
    assert all(rule["action"] == {"type": "expire"} for rule in rules)


def sam_executable() -> str:
    """SAM, else .venv-tools/sam/bin/sam (install_lint_tools.sh), else sam on PATH."""
    for candidate in (os.environ.get("SAM"), str(REPO / ".venv-tools" / "sam" / "bin" / "sam")):
        if candidate and Path(candidate).is_file():
            return candidate
    found = shutil.which("sam")
    if found is None:
        pytest.fail("the SAM CLI was not found: run deploy/scripts/install_lint_tools.sh (or set SAM)")
    return found


def test_the_real_sam_cli_accepts_deploy_sh_up_to_its_first_aws_call(stubs: tuple[Path, Path], tmp_path: Path) -> None:
    """SAM's own option parsing and template checks pass; it stops only at CloudFormation, here a
    closed port on loopback."""
    bin_dir, log = stubs
    (bin_dir / "sam").unlink()
    (bin_dir / "sam").symlink_to(sam_executable())
    env = stub_environ(
        bin_dir, log, AWS_REGION="eu-west-1", AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
        AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_MAX_ATTEMPTS="1", SAM_CLI_TELEMETRY="0", HOME=str(tmp_path),
        TEMPLATE_BUCKET="my-templates",
    )  # fmt: skip
    done = subprocess.run(
        ["bash", str(SCRIPTS / "deploy.sh"), IMAGE_URI], env=env, cwd=tmp_path,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "Missing option" not in output
    assert "Initiating deployment" in output, output[-3000:]
    assert "Could not connect to the endpoint URL" in output
    assert f'"ImageUri": "{IMAGE_URI}"' in output
