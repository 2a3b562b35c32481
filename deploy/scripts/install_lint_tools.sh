#!/usr/bin/env bash
# Install checkov into its own virtual environment (default: .venv-tools/ at the repository root,
# which pizza_game_tests/deploy looks in), and the AWS SAM CLI into another one inside it
# (.venv-tools/sam/), for the test that runs deploy.sh against SAM's own option checks. Checkov
# pins boto3==1.35.* and networkx 2.6, and SAM pins its own boto3, so neither shares the project's
# environment or the other's. cfn-lint, aws-sam-translator and hadolint come with the project's
# dev extra (setup.py). Re-running is cheap: an existing install of the pinned version is kept.
#
# Usage: deploy/scripts/install_lint_tools.sh [TARGET_DIR]      (PYTHON=python3.11 to choose)
set -euo pipefail

checkov_version="3.3.30"
sam_version="1.170.0"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
target="${1:-$repo/.venv-tools}"
python="${PYTHON:-python3}"

installed="$("$target/bin/checkov" --version 2>/dev/null || true)"
if [ "$installed" = "$checkov_version" ]; then
  echo "checkov $checkov_version already in $target"
else
  "$python" -m venv "$target"
  "$target/bin/python" -m pip install --quiet "checkov==$checkov_version"
  echo "installed checkov $("$target/bin/checkov" --version) in $target"
fi

installed="$("$target/sam/bin/sam" --version 2>/dev/null || true)"
if [ "$installed" = "SAM CLI, version $sam_version" ]; then
  echo "SAM CLI $sam_version already in $target/sam"
else
  "$python" -m venv "$target/sam"
  "$target/sam/bin/python" -m pip install --quiet "aws-sam-cli==$sam_version"
  echo "installed $("$target/sam/bin/sam" --version) in $target/sam"
fi
