#!/usr/bin/env bash
# Create or update the pizza_game stack (deploy/template.yaml) with the AWS SAM CLI.
#
# Usage: deploy/scripts/deploy.sh IMAGE_URI [Key=Value ...]
#   IMAGE_URI  as printed by push.sh (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY@sha256:...)
#   Key=Value  more template parameters, e.g. FootballApiKeyParameter=/pizza-game/football-api-key
# Environment: AWS_REGION (required), STACK_NAME (default pizza-game), the usual AWS credentials.
set -euo pipefail

image_uri="${1:?usage: deploy.sh IMAGE_URI [Key=Value ...]}"
shift
region="${AWS_REGION:?set AWS_REGION}"
stack="${STACK_NAME:-pizza-game}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# CAPABILITY_IAM: the stack creates the function's role. CAPABILITY_AUTO_EXPAND: the SAM transform.
sam deploy \
  --template-file "$repo/deploy/template.yaml" \
  --stack-name "$stack" \
  --region "$region" \
  --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
  --no-fail-on-empty-changeset \
  --parameter-overrides "ImageUri=$image_uri" "$@"

aws cloudformation describe-stacks --region "$region" --stack-name "$stack" \
  --query 'Stacks[0].Outputs' --output table
