"""The deploy files pass their linters: cfn-lint (as written and SAM-expanded), checkov, hadolint,
shellcheck. Checkov lives in its own environment: deploy/scripts/install_lint_tools.sh.

The template is linted in two variants: as written (reserved concurrency behind conditions) and
as CloudFormation creates it with the defaults, PipelineConcurrency and BackfillConcurrency 0:
no ReservedConcurrentExecutions at all (the condition's AWS::NoValue)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint
from cfnlint.config import ManualArgs
from cfnlint.decode import cfn_yaml
from samtranslator.translator.transform import transform

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
TEMPLATE = DEPLOY / "template.yaml"
CHECKOV_CONFIG = DEPLOY / "checkov.yaml"
REGIONS = ["eu-west-1", "us-east-1"]
# Values for the one parameter without a default, and the pseudo parameters SAM resolves.
SAM_PARAMETERS = {
    "ImageUri": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/pizza-game-lambda@sha256:" + "0" * 64,
    "AWS::Region": "eu-west-1",
    "AWS::Partition": "aws",
    "AWS::AccountId": "123456789012",
    "AWS::StackName": "pizza-game",
}


class NoManagedPolicies:
    """The template names no AWS managed policy, so SAM needs no lookup in IAM."""

    def load(self) -> dict[str, str]:
        return {}


FUNCTIONS = ("PipelineFunction", "BackfillFunction")
VARIANTS = ("as-written", "no-reserved-concurrency")


def without_reserved_concurrency() -> dict[str, Any]:
    """The template with both functions' ReservedConcurrentExecutions (and the conditions and
    parameters that only they use) gone, as the defaults make it."""
    template = cfn_yaml.load(str(TEMPLATE))
    for name in FUNCTIONS:
        reserved = template["Resources"][name]["Properties"].pop("ReservedConcurrentExecutions")
        condition, parameter, otherwise = reserved["Fn::If"]
        assert otherwise == {"Ref": "AWS::NoValue"}
        del template["Conditions"][condition]
        del template["Parameters"][parameter["Ref"]]
    return template


@pytest.fixture(scope="module", params=VARIANTS)
def variant(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A variant of deploy/template.yaml, as a file."""
    if request.param == "as-written":
        return TEMPLATE
    path = tmp_path_factory.mktemp("variant") / "template.json"
    path.write_text(json.dumps(without_reserved_concurrency(), indent=1))
    return path


@pytest.fixture(scope="module")
def expanded_template(variant: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The variant after the AWS::Serverless transform, as CloudFormation JSON."""
    with pytest.MonkeyPatch.context() as env:
        # The translator asks boto3 for a region even when AWS::Region is given.
        env.setenv("AWS_DEFAULT_REGION", SAM_PARAMETERS["AWS::Region"])
        sam = cfn_yaml.load(str(variant))
        expanded = transform(sam, dict(SAM_PARAMETERS), NoManagedPolicies())
    path = tmp_path_factory.mktemp("sam") / "template.json"
    path.write_text(json.dumps(expanded, indent=1))
    return path


def cfn_lint(text: str) -> list[str]:
    return [str(match) for match in lint(text, config=ManualArgs(regions=REGIONS))]


def test_cfn_lint_finds_nothing_in_the_template(variant: Path) -> None:
    assert cfn_lint(variant.read_text()) == []


def test_cfn_lint_finds_nothing_in_the_sam_expanded_template(expanded_template: Path) -> None:
    resources = json.loads(expanded_template.read_text())["Resources"]
    assert resources["PipelineFunction"]["Type"] == "AWS::Lambda::Function"
    assert resources["PipelineFunctionHourly"]["Type"] == "AWS::Events::Rule"
    assert cfn_lint(expanded_template.read_text()) == []


def checkov_executable() -> str:
    """CHECKOV, else .venv-tools/bin/checkov (install_lint_tools.sh), else checkov on PATH."""
    candidates = [os.environ.get("CHECKOV"), str(REPO / ".venv-tools" / "bin" / "checkov")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    found = shutil.which("checkov")
    if found is None:
        pytest.fail("checkov not found: run deploy/scripts/install_lint_tools.sh (or set CHECKOV)")
    return found


def checkov(path: Path) -> dict[str, Any]:
    completed = subprocess.run(
        [checkov_executable(), "--config-file", str(CHECKOV_CONFIG), "-f", str(path), "-o", "json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.stdout.strip(), completed.stderr
    report = json.loads(completed.stdout)
    failed = [
        f"{check['check_id']} {check['resource']}: {check['check_name']}"
        for check in report["results"]["failed_checks"]
    ]
    assert failed == [], failed
    assert completed.returncode == 0, completed.stderr
    return report["summary"]


def test_checkov_passes_the_template(variant: Path) -> None:
    summary = checkov(variant)
    assert summary["passed"] > 0 and summary["parsing_errors"] == 0


def test_checkov_passes_the_sam_expanded_template(expanded_template: Path) -> None:
    summary = checkov(expanded_template)
    assert summary["passed"] > 0 and summary["parsing_errors"] == 0


def test_every_checkov_skip_carries_a_reason() -> None:
    lines = CHECKOV_CONFIG.read_text().splitlines()
    skips = [line for line in lines if re.match(r"\s*-\s*CKV", line)]
    assert skips
    for line in skips:
        assert re.fullmatch(r"\s*-\s*CKV_[A-Z0-9_]+\s+#\s*\S.{20,}", line), f"no reason: {line}"


def run_tool(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """A lint tool installed by the dev extra, next to this Python."""
    tool = Path(sys.executable).parent / name
    if not tool.is_file():
        pytest.fail(f"{name} not found beside {sys.executable}: pip install -e '.[dev]'")
    return subprocess.run(
        [str(tool), *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    result = run_tool("hadolint", "--failure-threshold", "style", str(DEPLOY / "Dockerfile"))
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_shellcheck_finds_nothing_in_the_scripts() -> None:
    scripts = sorted(str(path) for path in (DEPLOY / "scripts").glob("*.sh"))
    assert scripts
    result = run_tool("shellcheck", *scripts)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
